#!/usr/bin/env bash
# A monthly custseg run for cron or a systemd timer.
#
#   monthly-run.sh --data DIR --runs DIR [--profile FILE] [--keep N] [--id NAME] [-- more custseg run flags]
#
# Writes RUNS/NAME (NAME defaults to the current year and month, YYYY-MM), passes the newest run
# folder whose name sorts before NAME and that produced segments as --previous (so segment ids and
# names carry over and the report shows who moved), then, if the run produced segments, keeps the
# newest N run folders (custseg outputs, default 12) and deletes older ones; other folders in RUNS are
# left alone. Logs are JSON
# lines on stderr. The exit code is custseg's (see the README): 0 ok, 3 data quality, 4 clustering,
# 5 migration above quality.max_migration_share, 6 another run holds the folder.
# CUSTSEG names the binary (default: custseg on PATH).
set -euo pipefail

custseg="${CUSTSEG:-custseg}"
data="" runs="" profile="" keep=12 id="$(date +%Y-%m)"
usage() {
    echo "usage: monthly-run.sh --data DIR --runs DIR [--profile FILE] [--keep N] [--id NAME] [-- custseg flags]" >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data | --runs | --profile | --keep | --id)
            [[ $# -ge 2 ]] || usage
            case "$1" in
                --data) data="$2" ;;
                --runs) runs="$2" ;;
                --profile) profile="$2" ;;
                --keep) keep="$2" ;;
                --id) id="$2" ;;
            esac
            shift 2 ;;
        --) shift; break ;;
        *) echo "monthly-run.sh: unknown argument $1" >&2; usage ;;
    esac
done
[[ -n "$data" && -n "$runs" ]] || usage
if ! [[ "$keep" =~ ^[1-9][0-9]*$ ]]; then
    echo "monthly-run.sh: --keep $keep: expected a positive number" >&2
    exit 2
fi
mkdir -p "$runs"

# Run folders: custseg outputs (with a manifest), named so that they sort by date.
run_folders() {
    find "$runs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | while IFS= read -r dir; do
        [[ -f "$dir/manifest.json" ]] && echo "$dir"
    done
    return 0
}

# The newest run before this one that produced segments.
previous=""
while IFS= read -r dir; do
    name="$(basename "$dir")"
    if [[ "$name" < "$id" && -f "$dir/model.json" ]]; then
        previous="$dir"
    fi
done < <(run_folders)

args=(--log-format json run --data "$data" --out "$runs/$id")
[[ -n "$profile" ]] && args+=(--profile "$profile")
[[ -n "$previous" ]] && args+=(--previous "$previous")
set +e
"$custseg" "${args[@]}" "$@"
rc=$?
set -e

# Keep the newest $keep run folders, once a run has produced segments (0, or 5: written, with an
# alert); a failed or refused run prunes nothing.
if [[ $rc -eq 0 || $rc -eq 5 ]]; then
    run_folders | sort -r | tail -n "+$((keep + 1))" | while IFS= read -r old; do
        [[ "$(basename "$old")" == "$id" ]] || rm -rf -- "$old"
    done
fi
exit "$rc"
