"""NerveCare."""
