#!/usr/bin/env bash
# Rebuild constraints/airflow-<VERSION>.txt: what a user of that Airflow release gets when
# they install it with its own constraints file (Airflow's files live on a host these
# machines cannot reach, so they are rebuilt the same way Airflow builds them: every
# dependency at its latest release uploaded on or before the release candidate's date).
#
#   constraints/build.sh 3.1.8    # or 3.2.2, 3.3.0; needs pip >= 26.2 (--uploaded-prior-to)
#
# How: the Airflow distributions themselves (apache-airflow, -core, -task-sdk), published
# after the rc, are downloaded first without the cut-off; everything else is resolved by pip
# with `--uploaded-prior-to <rc1 day end, UTC>` plus the corrections in EXTRA below, into a
# throwaway venv, and `pip freeze`d.
set -euo pipefail
VERSION=${1:?usage: constraints/build.sh AIRFLOW_VERSION}
PYTHON=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)

# Cut-off: the end of the day (UTC) of the release's first release candidate on the index.
# EXTRA: pins that correct what the plain resolution gets wrong for that release.
case "$VERSION" in
  3.1.8) RC1=2026-03-06; CUTOFF=2026-03-07T00:00:00Z
         # cadwyn 6.x needs fastapi>=0.128.6 while airflow-core 3.1.8 caps fastapi<0.118:
         # without the cap pip backtracks into an old Airflow-incompatible cadwyn/fastapi pair.
         EXTRA=("cadwyn<6") ;;
  3.2.2) RC1=2026-05-21; CUTOFF=2026-05-22T00:00:00Z; EXTRA=() ;;
  3.3.0) RC1=2026-06-30; CUTOFF=2026-07-01T00:00:00Z; EXTRA=() ;;
  *) echo "unknown Airflow version $VERSION: add its rc1 date here" >&2; exit 2 ;;
esac
# svcs 26.1 (2026-07) breaks dag.test() on these releases ('State' object has no attribute
# 'svcs_registry'); it is after every cut-off above, so the cap only guards a later edit.
EXTRA+=("svcs<26.1")

# Only the package index, which records upload times: a local mirror or find-links folder
# (some machines configure one) would hand out today's releases past the cut-off.
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_CONSTRAINT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
pip="$work/venv/bin/python -m pip"
$pip install --quiet --upgrade "pip>=26.2"
$pip download --quiet --no-deps -d "$work/airflow" "apache-airflow==$VERSION" "apache-airflow-core==$VERSION"
# the task SDK version that this apache-airflow pins
sdk=$("$work/venv/bin/python" - "$work/airflow" <<'PY'
import pathlib, re, sys, zipfile
for whl in pathlib.Path(sys.argv[1]).glob("apache_airflow-*.whl"):
    meta = next(n for n in zipfile.ZipFile(whl).namelist() if n.endswith("METADATA"))
    text = zipfile.ZipFile(whl).read(meta).decode()
    print(re.search(r"^Requires-Dist: apache-airflow-task-sdk\s*[(]?==\s*([\w.]+)", text, re.M).group(1))
PY
)
$pip download --quiet --no-deps -d "$work/airflow" "apache-airflow-task-sdk==$sdk"
$pip install --quiet --uploaded-prior-to "$CUTOFF" --find-links "$work/airflow" \
    "apache-airflow==$VERSION" "${EXTRA[@]}"
out="$here/airflow-$VERSION.txt"
{
  echo "# Constraints for apache-airflow==$VERSION (rc1 $RC1), rebuilt $(date -u +%Y-%m-%d):"
  echo "# every dependency at its latest release uploaded before $CUTOFF, plus: ${EXTRA[*]}."
  echo "# Python $("$work/venv/bin/python" -c 'import platform; print(platform.python_version())'). Rebuild: constraints/build.sh $VERSION"
  echo "# Use: pip install -c constraints/airflow-$VERSION.txt -e \".[test]\""
  $pip freeze --exclude pip --exclude setuptools --exclude wheel
} > "$out"
echo "wrote $out ($(grep -vc '^#' "$out") pins)"
