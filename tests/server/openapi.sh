#!/bin/sh
# tests/server/openapi.sh: api/openapi.json checked against a running `lode serve` (issue 8).
# LODE=path/to/lode to test another binary (default bin/lode).
set -e
cd "$(dirname "$0")/../.."
LODE=${LODE:-bin/lode} exec python3 tests/server/openapi_check.py "${LODE:-bin/lode}"
