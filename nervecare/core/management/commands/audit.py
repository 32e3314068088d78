"""`nervecare audit verify [--clinic SLUG] [--expect CHAIN:SEQ:HASH] [--checkpoints FILE]`,
`nervecare audit head`, `nervecare audit checkpoint [--checkpoints FILE]`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nervecare.core import audit
from nervecare.core.audit import checkpoint as audit_checkpoint
from nervecare.core.models import Clinic


def _expectation(text: str) -> tuple[int, int, str]:
    try:
        chain, seq, digest = text.split(":")
        return int(chain), int(seq), digest.lower()
    except ValueError as exc:
        raise CommandError(f"--expect: {text!r} is not CHAIN:SEQ:HASH (as printed by `audit head`)") from exc


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chains and its signed checkpoints (exit status 1 at the first broken "
        "link or checkpoint that no longer matches), print each chain's head to keep somewhere else, or "
        "append a signed checkpoint of each chain's head to the checkpoint file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "head", "checkpoint"])
        parser.add_argument("--clinic", help="only this clinic's chain (its slug)")
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="CHAIN:SEQ:HASH",
            help="a head recorded earlier by `audit head`: that event must still be in the chain, unchanged",
        )
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="the signed checkpoint file (default NERVECARE_AUDIT_CHECKPOINT_FILE), e.g. a copy kept elsewhere",
        )

    def handle(
        self,
        *args: Any,
        action: str,
        clinic: str | None,
        expect: list[str],
        checkpoints: str | None,
        **options: Any,
    ) -> None:
        checkpoint_file = Path(checkpoints) if checkpoints else None
        if action == "checkpoint":
            return self._checkpoint(checkpoint_file)
        only = None
        if clinic is not None:
            found = Clinic.objects.filter(slug=clinic).values_list("id", flat=True).first()
            if found is None:
                raise CommandError(f"--clinic: no clinic with the slug {clinic!r}")
            only = [found]
        expectations = [_expectation(e) for e in expect]
        reports = list(audit.verify(only))
        report: audit.ChainReport | None  # each chain's report below; None when a recorded chain has none
        if action == "head":
            for report in reports:
                self.stdout.write(f"{report.chain}:{report.head_seq}:{report.head_hash}")
            return
        failures = []
        for report in reports:
            if report.broken is None:
                self.stdout.write(
                    f"chain {report.chain}: {report.events} events verified, head {report.head_seq}:"
                    f"{report.head_hash}"
                )
            else:
                b = report.broken
                failures.append(
                    f"chain {b.chain}: broken at seq {b.seq} (audit event id {b.event_id}): {b.reason}. "
                    f"Events up to seq {report.head_seq} verify."
                )
            if report.pending:  # stored while this ran, after its seal: the next seal takes them
                self.stdout.write(f"chain {report.chain}: {report.pending} newer events not sealed yet")
        heads = {r.chain: r for r in reports}
        for chain, seq, digest in expectations:
            if only is not None and chain not in only:
                continue
            if audit.expected_head_present(chain, seq, digest):
                self.stdout.write(f"chain {chain}: recorded head {seq} is present and unchanged")
            else:
                report = heads.get(chain)
                now = f"{report.head_seq}:{report.head_hash}" if report else "empty"
                failures.append(
                    f"chain {chain}: the recorded head {seq}:{digest} is missing or changed (the chain is now "
                    f"{now}); events were removed or rewritten"
                )
        problems, summary = audit_checkpoint.verify(checkpoint_file, only=only)
        failures += problems
        self.stdout.write(summary + ("" if problems else ": all match"))
        if failures:
            raise CommandError("\n".join(failures), returncode=1)
        if not reports:
            self.stdout.write("The audit trail is empty.")

    def _checkpoint(self, path: Path | None) -> None:
        try:
            lines = audit_checkpoint.write(path)
        except audit_checkpoint.CheckpointError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except OSError as exc:
            raise CommandError(f"The checkpoint file cannot be written: {exc}") from exc
        target = path or audit_checkpoint.configured_path()
        self.stdout.write(f"{len(lines)} chain heads checkpointed in {target}")
