"""Development only: fill `feature_rows` from the real Binance candles in shared/data.

Uses the small test feature set of tests/support/candles.py (NOT the technical-indicators service),
so the trainer can be tried on real prices before the streaming pipeline has written any rows:

    DATABASE_URL=postgres://crypto:crypto@127.0.0.1:15432/crypto \
      .venv/bin/python ml/trainer/scripts/seed_feature_store.py --pair BTC/USDT --from 2024-06-01 --to 2024-07-16
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.candles import (
    apply_feature_store_ddl,
    binance_candles,
    delete_feature_rows,
    feature_rows_from_candles,
    insert_feature_rows,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pair", default="BTC/USDT")
    parser.add_argument("--from", dest="start", required=True)
    parser.add_argument("--to", dest="end", required=True)
    parser.add_argument("--replace", action="store_true", help="delete the pair's rows first")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        print("DATABASE_URL is not set", file=sys.stderr)
        return 2
    apply_feature_store_ddl(database_url)
    if args.replace:
        delete_feature_rows(database_url, args.pair)
    rows = feature_rows_from_candles(binance_candles(args.start, args.end))
    count = insert_feature_rows(database_url, rows, args.pair)
    print(f"inserted {count} feature rows for {args.pair} 1m [{args.start}, {args.end})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
