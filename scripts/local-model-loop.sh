#!/bin/sh
# Runs parwf's whole loop against a real model server on this machine: a throwaway repo with
# one issue brief that needs revising, a review, then `--revise --write commit`, and what came
# of it (verdicts, rules, the commit if any, the drafts kept). Not part of CI: it needs a model.
#
#   LOCAL_MODEL_URL=http://127.0.0.1:8080/v1 scripts/local-model-loop.sh
#
# Settings (environment):
#   LOCAL_MODEL_URL      the server's OpenAI-compatible base URL (required; no key is sent)
#   LOCAL_MODEL_NAME    the model name the server expects (default: local)
#   LOCAL_MODEL_CONTEXT  the server's context in tokens, for the pre-flight check (default: 0);
#                        drafts then get half of it as max_tokens
#   LOCAL_MODEL_PARWF            the parwf binary (default: target/release/parwf, built if missing)
#   KEEP=1               keep the throwaway repo and print its path
set -eu

url=${LOCAL_MODEL_URL:?set LOCAL_MODEL_URL to the server\'s base URL, e.g. http://127.0.0.1:8080/v1}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LOCAL_MODEL_PARWF:-$root/target/release/parwf}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --release --quiet)
fi

repo=$(mktemp -d -t parwf-local-XXXXXX)
if [ "${KEEP:-}" = 1 ]; then
    echo "repo: $repo"
else
    trap 'rm -rf "$repo"' EXIT
fi
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=parwf GIT_AUTHOR_EMAIL=parwf@localhost
export GIT_COMMITTER_NAME=parwf GIT_COMMITTER_EMAIL=parwf@localhost
cd "$repo"
git init -q -b main
echo "a project" > README.md
git add -A && git commit -q -m base
git checkout -q -b feature
mkdir -p docs/issues
cat > docs/issues/ISSUE-7-export-retries.md <<'DOC'
# ISSUE-7: Retries for the nightly export

## Problem
The nightly export to the warehouse fails two or three times a month when the warehouse
restarts for maintenance. Each failure needs someone to rerun the export by hand the next
morning, and the dashboards are a day late.

## Scope
Retry the export job when the warehouse refuses connections. The export's queries and the
warehouse schema do not change.

## Acceptance Criteria
- A failed export is retried automatically.
- The number of retries is: TBD
- An export that still fails pages the on-call engineer.

## Risks
A retry during a long maintenance window could overlap the next night's run.
DOC
context=${LOCAL_MODEL_CONTEXT:-0}
# A draft repeats the document: half the context leaves the other half for the prompt.
draft_tokens=8192
if [ "$context" -gt 0 ] && [ $((context / 2)) -lt $draft_tokens ]; then
    draft_tokens=$((context / 2))
fi
cat > .parwf.toml <<TOML
[provider]
kind = "openai"
base_url = "$url"
model = "${LOCAL_MODEL_NAME:-local}"
context_tokens = $context
timeout_s = 600

[drafter]
max_tokens = $draft_tokens
timeout_s = 1200
TOML
git add -A && git commit -q -m "issue brief"
brief=$(git rev-parse HEAD)

status=0
echo "== review"
"$bin" --since main --write none || status=$?
echo "(exit $status)"
status=0
echo "== --revise --write commit"
"$bin" --since main --revise --write commit --fresh || status=$?
echo "(exit $status)"
echo "== what parwf committed"
git log --oneline "$brief"..HEAD
git diff --stat "$brief" HEAD
echo "== drafts kept"
ls .git/parwf/runs/*/ISSUE-7.draft-*.md 2>/dev/null || echo "(none)"
