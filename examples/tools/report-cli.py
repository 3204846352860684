"""A stand-in for the tutorial's command-line tool: prints a small report
for a city as JSON (`--output-json`), the way a real CLI would. The
`cli-data` example runs it through a `command` connection:

    python3 report-cli.py --city Berlin --output-json
"""

import argparse
import hashlib
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", required=True)
    parser.add_argument("--output-json", action="store_true")
    args = parser.parse_args()
    # Deterministic figures, so the demo works offline and answers the same.
    seed = int(hashlib.sha256(args.city.lower().encode()).hexdigest()[:8], 16)
    report = {
        "city": args.city,
        "population_estimate": 100_000 + seed % 3_000_000,
        "open_tickets": seed % 97,
        "source": "report-cli",
    }
    if args.output_json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
