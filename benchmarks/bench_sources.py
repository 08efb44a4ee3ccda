"""Cost of converting raw source events, as ratios to reading the same alert in DeepAlert form.

Run: ``python benchmarks/bench_sources.py``. Figures are kept in ``docs/performance.md``.

For each example event the baseline is ``Alert.from_json`` of the alert the conversion
produces: what a pipeline pays anyway to read one alert. ``convert`` is timed on the raw JSON
text (parsing, envelope and format detection, mapping, limits, body normalisation), so the ratio
is the extra price of not having DeepAlert alerts to begin with. Cases:

* GuardDuty finding in its EventBridge envelope (``examples/alerts/guardduty-ssh-bruteforce.json``);
* the same finding through Security Hub ASFF (``securityhub-asff-guardduty.json``);
* one Suricata EVE alert line (``suricata-eve.jsonl``, line 1);
* one Falco alert line (``falco.jsonl``, line 1);
* a Suricata alert carrying a 200 KB payload, trimmed to the 64 KiB body limit.

Target: at most 10x the baseline for ordinary events (the conversion does strictly more work:
it parses the raw event, measures the body as Go writes it and builds the alert).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import interleaved

from deepalert import Alert
from deepalert.sources import convert

EXAMPLES = Path(__file__).parents[1] / "examples" / "alerts"


def _cases() -> dict[str, str]:
    eve = (EXAMPLES / "suricata-eve.jsonl").read_text().splitlines()[0]
    big = json.loads(eve)
    big["payload"] = "A" * 200_000
    big["payload_printable"] = "<" * 50_000
    return {
        "guardduty": (EXAMPLES / "guardduty-ssh-bruteforce.json").read_text(),
        "asff": (EXAMPLES / "securityhub-asff-guardduty.json").read_text(),
        "suricata": eve,
        "falco": (EXAMPLES / "falco.jsonl").read_text().splitlines()[0],
        "suricata 200KB": json.dumps(big),
    }


def main() -> None:
    print(f"{'case':16s} {'convert':>10s} {'from_json':>10s}  ratio")
    for name, raw in _cases().items():
        [alert] = convert(raw)
        text = alert.to_json()
        number = 50 if "KB" in name else 500
        timings = interleaved({"convert": lambda raw=raw: convert(raw),
                               "from_json": lambda text=text: Alert.from_json(text)},
                              number=number)
        ratio = timings["convert"] / timings["from_json"]
        print(f"{name:16s} {timings['convert'] * 1e6:8.0f} us {timings['from_json'] * 1e6:8.0f} us"
              f"  {ratio:5.1f}x")


if __name__ == "__main__":
    main()
