"""Mixed NerveCare traffic for the load test (run by run.py; `locust -f bench/load/locustfile.py` by hand).

Reads the plan that run.py wrote (LOAD_PLAN: tokens, ids, rates) and, when the test stops, writes every
request (LOAD_OUT/requests.csv: start time, milliseconds, category, status, outcome) and every acknowledged
write (LOAD_OUT/acks.jsonl: what was sent and the id the server gave) for run.py to summarise and verify.

Each simulated user is one therapist with that therapist's bearer token. Per user, a task is picked by weight
so that the whole crowd offers the target rates (requests per second) in the plan; `constant_throughput`
paces each user (wait_time below), so latency is measured at a given load rather than at saturation.

Outcomes: 2xx is "ok"; 409 on a booking or series is "conflict" (the time was taken: an expected business
outcome, not an error); anything else, including a refused connection, is "error".
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
OUT = Path(os.environ["LOAD_OUT"])
RATES: dict[str, float] = PLAN["rates"]
USERS = int(PLAN["users_count"])
TOTAL_RATE = sum(RATES.values())

REQUESTS: list[tuple[float, float, str, str, int, str]] = []
ACKS: list[dict] = []
_next_index = itertools.count()

REGIONS = ["foot", "toes", "sole", "ankle", "lower_leg", "hand", "fingers"]
KINDS = ["bruising", "soreness_over_48h", "skin_reaction", "dizziness"]


def _weights() -> dict[str, float]:
    return {k: v / TOTAL_RATE for k, v in RATES.items() if v > 0}


class Therapist(FastHttpUser):
    network_timeout = 30.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        self.me = PLAN["users"][next(_next_index) % len(PLAN["users"])]
        self.rng = random.Random(self.me["index"] * 7919 + int(time.time()))
        self.auth = {"Authorization": f"Bearer {self.me['token']}"}
        self.pool = list(self.me["note_pool"])
        self.rng.shuffle(self.pool)
        self.seq = 0
        weights = _weights()
        self.kinds = list(weights)
        self.cum = list(itertools.accumulate(weights[k] for k in self.kinds))
        # Each user starts at a random point of its pacing interval (see wait_time).
        self.interval = USERS / TOTAL_RATE
        self.next_at = time.time() + self.rng.uniform(0, self.interval)
        gevent.sleep(self.next_at - time.time())

    def wait_time(self) -> float:
        """Pace the user at its share of the offered rate, keeping its own phase.

        locust's constant_throughput anchors every user's schedule to its spawn time: users spawned together
        fire together, once per interval, in bursts of 50 requests that queue behind each other (p50 ~300 ms at
        half the server's capacity) instead of the steady arrivals of a real clinic. A user that falls behind
        (slow answers) goes on at once, without a catch-up burst."""
        self.next_at += self.interval
        now = time.time()
        if self.next_at < now:
            self.next_at = now
        return self.next_at - now

    # --- plumbing -------------------------------------------------------------------------------------------

    def call(self, category: str, name: str, method: str, path: str, body: dict | None = None, **kw):
        headers = kw.pop("headers", self.auth)
        started = time.time()
        t0 = time.perf_counter()
        with self.client.request(
            method, path, json=body, headers=headers, name=name, catch_response=True, **kw
        ) as resp:
            ms = (time.perf_counter() - t0) * 1000
            status = resp.status_code or 0
            if 200 <= status < 300:
                outcome = "ok"
                resp.success()
            elif status == 409 and category in {"booking", "series"}:
                outcome = "conflict"
                resp.success()
            else:
                outcome = "error"
                resp.failure(f"{status}: {(resp.text or '')[:200]}")
            REQUESTS.append((started, ms, category, name, status, outcome))
            data = None
            if outcome == "ok" and "json" in (resp.headers.get("content-type") or ""):
                try:
                    data = resp.json()
                except ValueError:
                    data = None
            return outcome, data

    def ack(self, kind: str, sent: dict, got: dict) -> None:
        ACKS.append({"kind": kind, "user": self.me["username"], "at": time.time(), "sent": sent, "got": got})

    def random_slot(self) -> dt.datetime:
        first = dt.date.fromisoformat(PLAN["book_first_day"])
        day = first + dt.timedelta(days=self.rng.randrange(PLAN["book_days"]))
        slot = self.rng.randrange(PLAN["slots_per_day"])
        return dt.datetime.combine(day, dt.time(PLAN["day_start_hour"]), tzinfo=dt.UTC) + dt.timedelta(
            minutes=PLAN["slot_minutes"] * slot
        )

    # --- the mix --------------------------------------------------------------------------------------------

    @task
    def one(self) -> None:
        r = self.rng.random()
        kind = self.kinds[next((i for i, c in enumerate(self.cum) if r <= c), len(self.kinds) - 1)]
        getattr(self, f"do_{kind}")()

    def do_read(self) -> None:
        r = self.rng.random()
        client_id = self.rng.choice(self.me["client_ids"])
        if r < 0.30:
            self.call("read", "GET /clients/{id}", "GET", f"/api/v1/clients/{client_id}")
        elif r < 0.50:
            term = f"Client{self.rng.randrange(len(PLAN['client_ids'])):05d}"[: self.rng.choice([9, 10])]
            self.call("read", "GET /clients?search", "GET", f"/api/v1/clients?search={term}")
        elif r < 0.80:
            day = dt.date.fromisoformat(PLAN["book_first_day"]) + dt.timedelta(
                days=self.rng.randrange(PLAN["book_days"])
            )
            therapist = self.rng.choice(PLAN["therapist_ids"])
            self.call(
                "read",
                "GET /appointments?range",
                "GET",
                f"/api/v1/appointments?start={day}T00:00:00Z&end={day + dt.timedelta(days=1)}T00:00:00Z"
                f"&therapist_id={therapist}",
            )
        else:
            client_id = self.rng.choice(self.me["history_client_ids"] or self.me["client_ids"])
            self.call("read", "GET /clients/{id}/outcomes", "GET", f"/api/v1/clients/{client_id}/outcomes")

    def do_booking(self) -> None:
        # A therapist books their own clients with themself (since the security issue a booking grants no access
        # to a stranger's record, and a colleague who cannot see the record is refused); users still compete for
        # the shared rooms, and a client's two bookings at once are refused too.
        body = {
            "client_id": self.rng.choice(self.me["client_ids"]),
            "therapist_id": self.me["therapist_id"],
            "service_id": PLAN["service_id"],
            "starts_at": self.random_slot().isoformat(),
        }
        if PLAN["room_ids"] and self.rng.random() < 0.25:
            body["room_id"] = self.rng.choice(PLAN["room_ids"])
        outcome, data = self.call("booking", "POST /appointments", "POST", "/api/v1/appointments", body)
        if outcome == "ok" and data and data.get("id"):
            self.ack("booking", body, {"id": data["id"]})

    def do_series(self) -> None:
        start = self.random_slot()
        body = {
            "client_id": self.rng.choice(self.me["client_ids"]),
            "therapist_id": self.me["therapist_id"],
            "service_id": PLAN["service_id"],
            "first_date": start.date().isoformat(),
            "local_time": start.time().isoformat(timespec="minutes"),
            "count": 4,
        }
        outcome, data = self.call("series", "POST /series", "POST", "/api/v1/series", body)
        if outcome == "ok" and data and data.get("series_id"):
            self.ack(
                "series",
                body,
                {"series_id": data["series_id"], "ids": [a["id"] for a in data.get("appointments", [])]},
            )

    def do_note(self) -> None:
        if not self.pool:
            return
        appointment_id = self.pool.pop()  # each appointment's note is written once: its content is known
        self.seq += 1
        events_n = 1 if self.rng.random() < 0.1 else 0
        pain = self.rng.randint(2, 9)
        body = {
            "pressure": "light",
            "minutes": 30,
            "areas_treated": [{"region": self.rng.choice(REGIONS), "side": "left"}],
            "subjective": f"load {self.me['username']}#{self.seq} ae={events_n}",
            "pain_before": pain,
            "pain_after": max(0, pain - self.rng.randint(0, 3)),
            "numbness_before": self.rng.randint(0, 10),
            "numbness_after": self.rng.randint(0, 10),
            "tingling_before": self.rng.randint(0, 10),
            "tingling_after": self.rng.randint(0, 10),
            "soreness_after": self.rng.randint(0, 4),
            "adverse_events": [
                {"kind": self.rng.choice(KINDS), "severity": "mild", "description": "load test event"}
                for _ in range(events_n)
            ],
        }
        outcome, data = self.call(
            "note", "PUT /appointments/{id}/note", "PUT", f"/api/v1/appointments/{appointment_id}/note", body
        )
        if outcome == "ok" and data and data.get("id"):
            self.ack("note", body | {"appointment_id": appointment_id}, {"id": data["id"]})

    def do_screening(self) -> None:
        client_id = self.rng.choice(self.me["client_ids"])
        if self.rng.random() < 0.5:
            body = {
                "instrument": "nrs_pain",
                "answers": {"pain": self.rng.randint(0, 10)},
                "context": "visit",
            }
        else:
            body = {
                "instrument": "dn4_interview",
                "answers": {str(i): self.rng.choice(["yes", "no"]) for i in range(1, 8)},
                "context": "intake",
            }
        outcome, data = self.call(
            "screening",
            "POST /clients/{id}/responses",
            "POST",
            f"/api/v1/clients/{client_id}/responses",
            body,
        )
        if outcome == "ok" and data and data.get("id"):
            self.ack(
                "screening", body | {"client_id": client_id}, {"id": data["id"], "total": data.get("total")}
            )

    def do_dashboard(self) -> None:
        self.call(
            "dashboard",
            "GET / (dashboard page)",
            "GET",
            "/",
            headers={"Cookie": f"sessionid={self.me['session']}"},
            allow_redirects=False,
        )


@events.quitting.add_listener
def _dump(environment, **_kw) -> None:  # noqa: ANN001
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "requests.csv").open("w") as fh:
        for row in REQUESTS:
            fh.write(f"{row[0]:.6f},{row[1]:.3f},{row[2]},{row[3]},{row[4]},{row[5]}\n")
    with (OUT / "acks.jsonl").open("w") as fh:
        for a in ACKS:
            fh.write(json.dumps(a) + "\n")
