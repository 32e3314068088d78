"""The claims ledger (issue 21 point 2): each claim of the article, what measures it, what the clinic's own
data show (change from baseline with its 95% CI, the share with a clinically important change where one is
published), and the published evidence beside it. definitions: the data; rows: the raw readings; ledger: the
numbers; plain: the client's words; pdf: the report sections."""
