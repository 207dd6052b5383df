# Named, timed steps for the image scripts (deploy/image.sh, deploy/gateway/image.sh), sourced.
#
#   STEP_LABEL="image"; source deploy/steps.sh
#   step build    # ends the step before (printing its time), starts "build"
#   ...
#   steps_summary "built"   # the last step's time, then every step's and the total
#
# STEP is the step running, for the scripts' failure messages.

T0=$(date +%s.%N)
TIMES=()
STEP=""
STEP_T=""

seconds_since() {
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

step() {
  end_step
  STEP="$1"
  STEP_T=$(date +%s.%N)
  echo "== ${STEP_LABEL}: $STEP" >&2
}

end_step() {
  if [ -n "$STEP" ]; then
    local took
    took=$(seconds_since "$STEP_T")
    echo "   $STEP: ${took} s" >&2
    TIMES+=("$(printf '%-8s %7s s' "$STEP" "$took")")
    STEP=""
  fi
}

# steps_summary WHAT: ends the last step, then "== LABEL: WHAT", each step's time and the total.
steps_summary() {
  end_step
  {
    echo "== ${STEP_LABEL}: $1"
    printf '   %s\n' "${TIMES[@]}"
    printf '   %-8s %7s s\n' total "$(seconds_since "$T0")"
  } >&2
}
