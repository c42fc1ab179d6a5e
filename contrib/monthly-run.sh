#!/usr/bin/env bash
# A monthly custseg run for cron or a systemd timer.
#
#   monthly-run.sh --data DIR --runs DIR [--profile FILE] [--keep N] [--id NAME] [-- more custseg run flags]
#
# Writes RUNS/NAME (NAME defaults to the current year and month, YYYY-MM), passes the newest run
# folder whose name sorts before NAME, that produced segments and ended with exit 0 (or 5 when the
# profile sets quality.accept_gated_previous = true) as --previous (so segment ids and names carry
# over and the report shows who moved), then, if the run produced segments, keeps the newest N run
# folders (custseg outputs, default 12) and deletes older ones, logging each; other folders in RUNS are
# left alone. A failed attempt at NAME (exit 1 to 4 or 6) is replaced by the retry. Logs are JSON
# lines on stderr. The exit code is custseg's (see the README): 0 ok, 3 data quality, 4 clustering,
# 5 a gate (segments vanished or new, migration above quality.max_migration_share), 6 another run
# holds the folder.
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

log() { # level, message: one JSON line on stderr, like custseg's
    printf '{"time":"%s","level":"%s","message":"monthly-run.sh: %s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$1" "$2" >&2
}

exit_code_of() { # a run folder's exit code, from its manifest
    sed -n 's/^ *"exit_code": *\([0-9]*\).*/\1/p' "$1/manifest.json" | head -n 1
}

# Whether the profile lets a gated run (exit 5) be the baseline.
accept_gated=false
show=(profile show)
[[ -n "$profile" ]] && show+=("$profile")
if "$custseg" "${show[@]}" 2>/dev/null | grep -q '^accept_gated_previous = true'; then
    accept_gated=true
fi

# The newest run before this one that produced segments and ended well (exit 0; or 5 when the
# profile accepts gated runs as baselines).
previous=""
while IFS= read -r dir; do
    name="$(basename "$dir")"
    code="$(exit_code_of "$dir")"
    if [[ "$name" < "$id" && -f "$dir/model.json" ]] && [[ "$code" == 0 || ( "$code" == 5 && "$accept_gated" == true ) ]]; then
        previous="$dir"
    fi
done < <(run_folders)

args=(--log-format json run --data "$data" --out "$runs/$id")
[[ -n "$profile" ]] && args+=(--profile "$profile")
[[ -n "$previous" ]] && args+=(--previous "$previous")
# A failed attempt at this month (its folder holds only diagnostics) does not block the retry.
if [[ -f "$runs/$id/manifest.json" ]]; then
    code="$(exit_code_of "$runs/$id")"
    if [[ "$code" != 0 && "$code" != 5 ]]; then
        log info "replacing $runs/$id, a failed attempt (exit $code)"
        args+=(--force)
    fi
fi
set +e
"$custseg" "${args[@]}" "$@"
rc=$?
set -e

# Keep the newest $keep run folders, once a run has produced segments (0, or 5: written, with an
# alert); a failed or refused run prunes nothing.
if [[ $rc -eq 0 || $rc -eq 5 ]]; then
    run_folders | sort -r | tail -n "+$((keep + 1))" | while IFS= read -r old; do
        if [[ "$(basename "$old")" != "$id" ]]; then
            log info "pruning $old (keeping the newest $keep runs)"
            rm -rf -- "$old"
        fi
    done
fi
exit "$rc"
