#!/usr/bin/env bash
# Installs and runs the Chatterbox TTS backend under systemd: one chatterbox-gpuN.service per GPU, the
# chatterbox-loadbalancer.service, and chatterbox-backend.target that groups them. Run without arguments for a menu.
# It acts only through systemctl and journalctl: it never signals processes itself.
set -euo pipefail
shopt -s nullglob
# Bash 5.2 would expand '&' in ${var//pattern/replacement}; the rendered paths must stay literal.
shopt -u patsub_replacement 2>/dev/null || true

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(dirname "$SCRIPT_DIR")
TEMPLATE_DIR="$SCRIPT_DIR/templates"

# Where things go. DESTDIR prefixes every file this script writes or removes (tests point it at a temporary
# directory); useradd and systemctl still act on this host.
DESTDIR=${DESTDIR:-}
APP_DIR=${APP_DIR:-/opt/chatterbox}
NODE_BIN=${NODE_BIN:-}
UNIT_DIR=/etc/systemd/system
CONF_DIR=/etc/chatterbox
STATE_DIR=/var/lib/chatterbox
CACHE_DIR=/var/cache/chatterbox
SERVICE_USER=chatterbox
WORKER_BASE_PORT=6093
LB_PORT=6095
TARGET=chatterbox-backend.target
LB_UNIT=chatterbox-loadbalancer.service

usage() {
  cat <<EOF
Usage: $(basename "$0") [COMMAND [ARGS]]      (no command: interactive menu)

  install [--gpus N] [--no-copy]   copy the app to APP_DIR ($APP_DIR), create the '$SERVICE_USER' user and its
                                   directories, write units and missing env files, daemon-reload, enable the target
  uninstall [--purge]              stop and disable everything, remove the units and APP_DIR
                                   (--purge also removes $CONF_DIR, $STATE_DIR, $CACHE_DIR and the user)
  start [SERVICE]                  start the target (every unit) or one service
  stop [SERVICE]                   stop every unit (draining each) or one service
  restart [SERVICE]                one service, or all: each worker in turn, waiting until it serves, then the balancer
  status                           each unit's state, each worker's /health, the balancer's /lb-stats
  logs [SERVICE] [-f] [-n LINES] [-p PRIORITY]
                                   journal of all chatterbox units or of one (-f follows, -p warning: warnings and worse)
  render DIR [--gpus N]            write the units and example env files to DIR without installing anything

SERVICE: gpu0, gpu1, ..., loadbalancer (or lb), or a full unit name.
Environment: APP_DIR (default /opt/chatterbox; a directory of its own: install refuses shared or foreign ones), NODE_BIN (default: node on PATH, resolved to an absolute path),
GPUS (GPU count; default: nvidia-smi's count, else 2), DESTDIR (prefix for written files, for tests and staging).
EOF
}

die() {
  echo "error: $*" >&2
  exit 1
}

note() {
  echo "==> $*"
}

# ---------------------------------------------------------------------------------------------------------------------
# Rendering: the same code writes the committed files in systemd/ (APP_DIR=/opt/chatterbox NODE_BIN=/usr/bin/node),
# the units `install` puts in place, and the units the tests verify.

# worker_port N: GPU N's port, counting up from 6093 and skipping the balancer's 6095.
worker_port() {
  local port=$((WORKER_BASE_PORT + $1))
  if ((WORKER_BASE_PORT <= LB_PORT && port >= LB_PORT)); then port=$((port + 1)); fi
  echo "$port"
}

# gpu_count [N]: N when given, else $GPUS, else what nvidia-smi lists, else 2 (the original two-GPU host).
gpu_count() {
  local count=${1:-${GPUS:-}}
  if [[ -z $count ]] && command -v nvidia-smi >/dev/null 2>&1; then
    count=$(nvidia-smi --list-gpus 2>/dev/null | grep -c '^GPU ' || true)
    [[ $count == 0 ]] && count=
  fi
  if [[ -z $count ]]; then
    echo "note: no GPU count given and none found by nvidia-smi; assuming 2 (use --gpus N)" >&2
    count=2
  fi
  [[ $count =~ ^[1-9][0-9]*$ ]] || die "GPU count must be a positive integer, got '$count'"
  echo "$count"
}

# resolve_node: the absolute path of the node binary the units will run (NODE_BIN, else node on PATH). Symlinks
# are kept: /usr/bin/node stays valid when the package behind it is upgraded.
resolve_node() {
  local node=${NODE_BIN:-node}
  if [[ $node != /* ]]; then node=$(command -v -- "$node") || die "node not found on PATH; set NODE_BIN=/path/to/node"; fi
  [[ $node == /* ]] || die "NODE_BIN must be an absolute path, got '$node'"
  echo "$node"
}

# fill TEMPLATE KEY=VALUE...: the template with each @KEY@ replaced; fails on a placeholder left over.
fill() {
  local text pair
  text=$(<"$TEMPLATE_DIR/$1")
  shift
  for pair in "$@"; do
    text=${text//@${pair%%=*}@/${pair#*=}}
  done
  if [[ $text =~ @[A-Z_]+@ ]]; then die "template placeholder ${BASH_REMATCH[0]} has no value"; fi
  printf '%s\n' "$text"
}

# render_all DIR N NODE: every unit, and the env files as NAME.env.example, for N GPUs.
render_all() {
  local dir=$1 count=$2 node=$3 n gpu_units=() backends=()
  [[ $node == /* && $node != *[[:space:]]* ]] || die "NODE_BIN must be an absolute path without spaces: '$node'"
  [[ $APP_DIR == /* && $APP_DIR != *[[:space:]]* ]] || die "APP_DIR must be an absolute path without spaces: '$APP_DIR'"
  mkdir -p -- "$dir"
  for ((n = 0; n < count; n++)); do
    gpu_units+=("chatterbox-gpu$n.service")
    backends+=("ws://127.0.0.1:$(worker_port "$n")")
    fill chatterbox-gpu.service.in "GPU=$n" "APP_DIR=$APP_DIR" "NODE_BIN=$node" >"$dir/chatterbox-gpu$n.service"
    fill gpu.env.in "GPU=$n" "PORT=$(worker_port "$n")" >"$dir/gpu$n.env.example"
  done
  local backend_list
  backend_list=$(IFS=,; echo "${backends[*]}")
  fill chatterbox-loadbalancer.service.in "GPU_UNITS=${gpu_units[*]}" "APP_DIR=$APP_DIR" "NODE_BIN=$node" >"$dir/$LB_UNIT"
  fill chatterbox-backend.target.in "ALL_UNITS=${gpu_units[*]} $LB_UNIT" "GPU_COUNT=$count" "APP_DIR=$APP_DIR" >"$dir/$TARGET"
  fill loadbalancer.env.in "LB_PORT=$LB_PORT" "BACKENDS=$backend_list" >"$dir/loadbalancer.env.example"
  fill chatterbox.env.in >"$dir/chatterbox.env.example"
}

# ---------------------------------------------------------------------------------------------------------------------
# What is installed.

# installed_gpu_units: chatterbox-gpuN.service names in the unit directory, in GPU order.
installed_gpu_units() {
  local file
  for file in "$DESTDIR$UNIT_DIR"/chatterbox-gpu*.service; do basename "$file"; done | sort -V
}

# installed_units: the GPU units and the balancer; fails when nothing is installed.
installed_units() {
  local units
  units=$(installed_gpu_units)
  [[ -n $units ]] || die "no chatterbox units in $DESTDIR$UNIT_DIR; run: $0 install"
  printf '%s\n' "$units" "$LB_UNIT"
}

# load_units ARRAY: fills ARRAY with installed_units, or exits as it does.
load_units() {
  local list
  list=$(installed_units) || exit 1
  mapfile -t "$1" <<<"$list"
}

# unit_name SERVICE: the unit a short or full service name means.
unit_name() {
  local name=${1%.service}
  name=${name#chatterbox-}
  case $name in
    gpu[0-9]*) [[ $name =~ ^gpu[0-9]+$ ]] || die "unknown service '$1'"; echo "chatterbox-$name.service" ;;
    lb | balancer | loadbalancer) echo "$LB_UNIT" ;;
    target | backend | backend.target | all) echo "$TARGET" ;;
    *) die "unknown service '$1' (gpu0, gpu1, ..., loadbalancer)" ;;
  esac
}

# env_value FILE KEY: KEY's last value in an env file, quotes removed.
env_value() {
  [[ -r $1 ]] || return 0
  sed -n "s/^[[:space:]]*$2=//p" "$1" | tail -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
}

# local_host HOST: the address to reach a listener bound to HOST from this host.
local_host() {
  case ${1:-0.0.0.0} in 0.0.0.0 | :: | '') echo 127.0.0.1 ;; *) echo "$1" ;; esac
}

# ---------------------------------------------------------------------------------------------------------------------
# Commands.

cmd_render() {
  local dir='' count=''
  while (($#)); do
    case $1 in
      --gpus) count=${2:-}; shift 2 || die "--gpus needs a number" ;;
      -*) die "render: unknown option $1" ;;
      *) dir=$1; shift ;;
    esac
  done
  [[ -n $dir ]] || die "usage: render DIR [--gpus N]"
  count=$(gpu_count "$count")
  render_all "$dir" "$count" "$(resolve_node)"
  note "wrote units and env examples for $count GPUs to $dir (APP_DIR=$APP_DIR)"
}

# The file that marks a directory as an app copy this script made: only such a directory is ever replaced or removed.
APP_MARKER=.chatterbox-app

# owns_app_dir DIR: true when DIR holds a copy made by this script (the marker, or the layout of an install made
# before the marker existed: exactly the copied entries, with our bin/chatterbox.js).
owns_app_dir() {
  local dir=$1 entry
  [[ -d $dir && ! -L $dir ]] || return 1
  [[ -f $dir/$APP_MARKER ]] && return 0
  [[ -f $dir/bin/chatterbox.js && -f $dir/package.json ]] || return 1
  for entry in "$dir"/* "$dir"/.[!.]*; do
    case ${entry##*/} in bin | dist | node_modules | package.json | README.md) ;; *) return 1 ;; esac
  done
}

# check_app_dir: dies unless APP_DIR is a directory of its own: not a shared one such as /opt or $HOME, and either
# absent, empty, or an earlier copy made by this script. install replaces it as a whole and uninstall removes it.
check_app_dir() {
  local app=$APP_DIR dest
  while [[ $app == */ && $app != / ]]; do app=${app%/}; done
  [[ $app == /* ]] || die "APP_DIR must be an absolute path, got '$APP_DIR'"
  [[ /$app/ != */../* && /$app/ != */./* && $app != *//* ]] || die "APP_DIR must be a plain path without '.', '..' or '//': '$APP_DIR'"
  case $app in
    / | /opt | /usr | /usr/local | /usr/lib | /usr/share | /usr/local/lib | /usr/local/share | /home | /root | /srv | \
      /var | /var/lib | /var/opt | /etc | /bin | /sbin | /lib | /lib64 | /tmp | /var/tmp | /mnt | /media | /run | /boot)
      die "APP_DIR=$app is a shared directory; install into a directory of its own, such as $app/chatterbox" ;;
  esac
  if [[ -n ${HOME:-} && ( $app == "${HOME%/}" || ${HOME%/}/ == "$app"/* ) ]]; then
    die "APP_DIR=$app holds your home directory; install into a directory of its own"
  fi
  if [[ $SOURCE_DIR == "$app" || $SOURCE_DIR/ == "$app"/* || $app/ == "$SOURCE_DIR"/* ]]; then
    die "APP_DIR=$app overlaps the checkout $SOURCE_DIR; use --no-copy to run from the checkout"
  fi
  APP_DIR=$app
  dest=$DESTDIR$APP_DIR
  if [[ -L $dest ]]; then die "$APP_DIR is a symbolic link; point APP_DIR at the real directory"; fi
  if [[ -e $dest && ! -d $dest ]]; then die "$APP_DIR exists and is not a directory"; fi
  if [[ -d $dest ]] && [[ -n $(ls -A -- "$dest") ]] && ! owns_app_dir "$dest"; then
    die "$APP_DIR is not empty and was not installed by this script (no $APP_MARKER): refusing to replace it; choose a new directory"
  fi
}

copy_app() {
  local dest="$DESTDIR$APP_DIR" parent staged old
  [[ -f $SOURCE_DIR/dist/src/cli.js && -d $SOURCE_DIR/node_modules ]] ||
    die "$SOURCE_DIR is not built: run 'npm ci' there first"
  note "copying the app to $dest"
  parent=$(dirname -- "$dest")
  mkdir -p -- "$parent"
  # Fresh, uniquely named directories beside the app: nothing that exists already is overwritten or removed.
  staged=$(mktemp -d -- "$parent/.chatterbox-new.XXXXXX")
  cp -a -- "$SOURCE_DIR/bin" "$SOURCE_DIR/dist" "$SOURCE_DIR/node_modules" "$SOURCE_DIR/package.json" \
    "$SOURCE_DIR/README.md" "$staged/"
  printf 'Copied by manage-backend-services.sh install; install replaces and uninstall removes this directory.\n' >"$staged/$APP_MARKER"
  chmod 0755 -- "$staged"
  # Swap whole directories: a running service keeps the files it has open until it restarts.
  if [[ -e $dest ]]; then
    old=$(mktemp -d -- "$parent/.chatterbox-old.XXXXXX")
    mv -- "$dest" "$old/app"
    mv -- "$staged" "$dest"
    rm -rf -- "$old"
  else
    mv -- "$staged" "$dest"
  fi
}

ensure_user() {
  local group
  for group in video render; do
    getent group "$group" >/dev/null || groupadd --system "$group"
  done
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    note "creating system user $SERVICE_USER"
    useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
      --comment "Chatterbox TTS backend" "$SERVICE_USER"
  fi
}

# install_env NAME.env STAGED: copies the staged example unless the admin's file exists.
install_env() {
  local target="$DESTDIR$CONF_DIR/$1"
  if [[ -e $target ]]; then
    echo "    kept $CONF_DIR/$1"
  else
    install -m 0644 -- "$2" "$target"
    echo "    wrote $CONF_DIR/$1"
  fi
}

cmd_install() {
  local count='' copy=yes
  while (($#)); do
    case $1 in
      --gpus) count=${2:-}; shift 2 || die "--gpus needs a number" ;;
      --no-copy) copy=no; shift ;;
      *) die "install: unknown option $1" ;;
    esac
  done
  if [[ -z $DESTDIR && $(id -u) != 0 ]]; then die "install needs root (sudo $0 install)"; fi
  count=$(gpu_count "$count")
  if [[ $copy == no ]]; then APP_DIR=$SOURCE_DIR; fi
  local node path major
  node=$(resolve_node)
  # ProtectHome=yes hides /home and /root from the services.
  for path in "$node" "$APP_DIR"; do
    if [[ $path == /home/* || $path == /root/* ]]; then
      die "$path is under /home or /root, which the units hide (ProtectHome=yes): set NODE_BIN to a system node, or install without --no-copy"
    fi
  done
  major=$("$node" -p 'process.versions.node.split(".")[0]') || die "$node does not run"
  ((major >= 20)) || die "$node is Node $major; the backend needs Node 20 or newer"

  if [[ $APP_DIR != "$SOURCE_DIR" ]]; then
    check_app_dir
    copy_app
  fi
  ensure_user

  note "creating $CONF_DIR, $STATE_DIR, $CACHE_DIR"
  install -d -m 0755 -- "$DESTDIR$CONF_DIR" "$DESTDIR$UNIT_DIR" "$DESTDIR$STATE_DIR" "$DESTDIR$STATE_DIR/voices" \
    "$DESTDIR$STATE_DIR/models" "$DESTDIR$CACHE_DIR"
  chown "$SERVICE_USER:$SERVICE_USER" -- "$DESTDIR$STATE_DIR" "$DESTDIR$STATE_DIR/voices" "$DESTDIR$CACHE_DIR"

  local staged
  staged=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $staged is local
  trap "rm -rf -- '$staged'" EXIT
  render_all "$staged" "$count" "$node"

  # Units of GPUs this host no longer has: stop them and take them out.
  local unit n
  for unit in $(installed_gpu_units); do
    n=${unit#chatterbox-gpu}
    n=${n%.service}
    if ((n >= count)); then
      note "removing $unit (this install has $count GPUs)"
      systemctl stop "$unit" || true
      rm -f -- "$DESTDIR$UNIT_DIR/$unit"
    fi
  done

  note "writing units to $UNIT_DIR (node: $node, app: $APP_DIR)"
  for unit in "$staged"/*.service "$staged"/*.target; do
    install -m 0644 -- "$unit" "$DESTDIR$UNIT_DIR/"
    echo "    $(basename "$unit")"
  done
  note "env files in $CONF_DIR"
  for ((n = 0; n < count; n++)); do install_env "gpu$n.env" "$staged/gpu$n.env.example"; done
  install_env loadbalancer.env "$staged/loadbalancer.env.example"
  install_env chatterbox.env "$staged/chatterbox.env.example"
  local want have
  want=$(env_value "$staged/loadbalancer.env.example" CHATTERBOX_BACKENDS)
  have=$(env_value "$DESTDIR$CONF_DIR/loadbalancer.env" CHATTERBOX_BACKENDS)
  if [[ $want != "$have" ]]; then
    echo "warning: $CONF_DIR/loadbalancer.env lists CHATTERBOX_BACKENDS=$have; this install's workers are $want" >&2
  fi

  systemctl daemon-reload
  systemctl enable "$TARGET"
  note "installed; start with: $0 start   (then: $0 status)"
}

cmd_uninstall() {
  local purge=no
  case ${1:-} in --purge) purge=yes ;; '') ;; *) die "uninstall: unknown option $1" ;; esac
  if [[ -z $DESTDIR && $(id -u) != 0 ]]; then die "uninstall needs root (sudo $0 uninstall)"; fi
  local units=() unit
  mapfile -t units < <(installed_gpu_units)
  units+=("$LB_UNIT")
  note "stopping and disabling the backend"
  systemctl disable --now "$TARGET" || true
  systemctl stop "${units[@]}" || true
  for unit in "${units[@]}" "$TARGET"; do rm -f -- "$DESTDIR$UNIT_DIR/$unit"; done
  systemctl daemon-reload
  systemctl reset-failed "${units[@]}" "$TARGET" 2>/dev/null || true
  # Only a copy made by install goes; a checkout used with --no-copy, or anything else at APP_DIR, stays.
  if [[ $APP_DIR != "$SOURCE_DIR" ]] && owns_app_dir "$DESTDIR$APP_DIR"; then
    note "removing $APP_DIR"
    rm -rf -- "${DESTDIR}${APP_DIR:?}"
  elif [[ -e $DESTDIR$APP_DIR && $APP_DIR != "$SOURCE_DIR" ]]; then
    echo "    kept $APP_DIR: it was not installed by this script (no $APP_MARKER)"
  fi
  if [[ $purge == yes ]]; then
    note "removing $CONF_DIR, $STATE_DIR, $CACHE_DIR and the user $SERVICE_USER"
    rm -rf -- "${DESTDIR}${CONF_DIR:?}" "${DESTDIR}${STATE_DIR:?}" "${DESTDIR}${CACHE_DIR:?}"
    if getent passwd "$SERVICE_USER" >/dev/null; then userdel "$SERVICE_USER"; fi
  else
    echo "    kept $CONF_DIR, $STATE_DIR, $CACHE_DIR and the user $SERVICE_USER (uninstall --purge removes them)"
  fi
}

cmd_start() {
  local unit
  installed_units >/dev/null
  if (($#)); then
    unit=$(unit_name "$1")
    systemctl start "$unit"
  else
    # Returns once every unit is ready: the target is After= them and they are Type=notify.
    systemctl start "$TARGET"
  fi
}

cmd_stop() {
  local units=() unit
  load_units units
  if (($#)); then
    unit=$(unit_name "$1")
    systemctl stop "$unit"
  else
    # The target and each unit by name: every process goes through its own SIGTERM drain.
    systemctl stop "$TARGET" "${units[@]}"
  fi
}

cmd_restart() {
  local unit
  installed_units >/dev/null
  if (($#)); then
    unit=$(unit_name "$1")
    systemctl restart "$unit"
    return
  fi
  # A rolling restart: systemctl restart returns once a Type=notify unit is ready again, so at most one worker is
  # out of the balancer at a time; the balancer goes last.
  for unit in $(installed_units); do
    note "restarting $unit"
    systemctl restart "$unit"
  done
  systemctl start "$TARGET"
}

# http_summary URL health|text: one line from a worker's /health, or the body as it is; "unreachable" on failure.
http_summary() {
  local node
  node=$(resolve_node 2>/dev/null) || node=node
  # shellcheck disable=SC2016 # JavaScript in single quotes: its ${...} are template literals, not shell
  "$node" -e '
    const [url, kind] = process.argv.slice(1);
    fetch(url, { signal: AbortSignal.timeout(3000) })
      .then(async (res) => {
        const body = await res.text();
        if (kind !== "health") return process.stdout.write(body);
        const h = JSON.parse(body);
        console.log(`${h.status} (HTTP ${res.status})  engine ${h.engine} on ${h.device}  sessions ${h.sessions}  ` +
          `active ${h.activeRequests}/${h.capacity}  queued ${h.queuedRequests}  load ${h.loadScore}  ` +
          `uptime ${h.uptimeSec}s  ${h.pid ? `pid ${h.pid}  ` : ""}v${h.version}`);
        if (!res.ok) process.exitCode = 1;
      })
      .catch((err) => {
        console.log(`unreachable (${err.cause?.code ?? err.name})`);
        process.exitCode = 1;
      });
  ' "$1" "$2"
}

cmd_status() {
  local units=() unit props
  load_units units
  echo "UNIT                              STATE               PID      RESTARTS  STATUS"
  for unit in "$TARGET" "${units[@]}"; do
    props=$(systemctl show "$unit" -p ActiveState -p SubState -p MainPID -p NRestarts -p StatusText) || props=
    local active sub pid restarts text
    active=$(sed -n 's/^ActiveState=//p' <<<"$props")
    sub=$(sed -n 's/^SubState=//p' <<<"$props")
    pid=$(sed -n 's/^MainPID=//p' <<<"$props")
    restarts=$(sed -n 's/^NRestarts=//p' <<<"$props")
    text=$(sed -n 's/^StatusText=//p' <<<"$props")
    printf '%-33s %-19s %-8s %-9s %s\n' "$unit" "${active:-unknown}/${sub:-?}" "${pid:-0}" "${restarts:--}" "$text"
  done

  echo
  echo "Workers (/health):"
  local failed=0 env port host n
  for unit in "${units[@]}"; do
    [[ $unit == "$LB_UNIT" ]] && continue
    n=${unit#chatterbox-gpu}
    n=${n%.service}
    env="$DESTDIR$CONF_DIR/gpu$n.env"
    port=$(env_value "$env" CHATTERBOX_PORT)
    port=${port:-$(worker_port "$n")}
    host=$(local_host "$(env_value "$env" CHATTERBOX_HOST)")
    printf '  gpu%-3s %s:%-6s ' "$n" "$host" "$port"
    http_summary "http://$host:$port/health" health || failed=1
  done

  echo
  env="$DESTDIR$CONF_DIR/loadbalancer.env"
  port=$(env_value "$env" CHATTERBOX_LB_PORT)
  port=${port:-$LB_PORT}
  host=$(local_host "$(env_value "$env" CHATTERBOX_LB_HOST)")
  echo "Balancer (http://$host:$port/lb-stats):"
  local stats line
  stats=$(http_summary "http://$host:$port/lb-stats?format=text" text) || failed=1
  while IFS= read -r line; do printf '  %s\n' "$line"; done <<<"$stats"
  return "$failed"
}

cmd_logs() {
  local unit='' follow=() lines=100 priority=()
  while (($#)); do
    case $1 in
      -f | --follow) follow=(--follow); shift ;;
      -n | --lines) lines=${2:-}; shift 2 || die "$1 needs a number" ;;
      -p | --priority) priority=(--priority "${2:-}"); shift 2 || die "$1 needs a priority" ;;
      -*) die "logs: unknown option $1" ;;
      *) unit=$(unit_name "$1"); shift ;;
    esac
  done
  [[ $lines =~ ^[0-9]+$ ]] || die "--lines must be a number"
  local units=(--unit 'chatterbox-*')
  if [[ -n $unit && $unit != "$TARGET" ]]; then units=(--unit "$unit"); fi
  journalctl --no-pager "${units[@]}" --lines "$lines" "${priority[@]}" "${follow[@]}"
}

# ---------------------------------------------------------------------------------------------------------------------
# The menu. Each choice runs this script again as its own process: a failing command reports and returns to the
# menu, and `set -e` keeps working inside it (bash ignores it in a subshell whose status is tested).

again() {
  "$BASH" "$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")" "$@" || true
}

ask() {
  local answer
  printf '%s' "$1" >&2
  read -r answer || return 1
  echo "$answer"
}

menu() {
  local choice service
  # Ctrl-C stops what a choice started (journalctl -f) and comes back here.
  trap 'echo' INT
  while true; do
    cat <<EOF

Chatterbox TTS backend services
  1) status     2) start      3) stop       4) restart
  5) logs       6) follow logs              7) install    8) uninstall
  q) quit
EOF
    choice=$(ask "choice: ") || { echo; return 0; }
    case $choice in
      1 | status) again status ;;
      2 | start) service=$(ask "service (empty: all): ") || return 0; again start ${service:+"$service"} ;;
      3 | stop) service=$(ask "service (empty: all): ") || return 0; again stop ${service:+"$service"} ;;
      4 | restart) service=$(ask "service (empty: all): ") || return 0; again restart ${service:+"$service"} ;;
      5 | logs) service=$(ask "service (empty: all): ") || return 0; again logs ${service:+"$service"} ;;
      6) service=$(ask "service (empty: all): ") || return 0; again logs ${service:+"$service"} --follow ;;
      7 | install) again install ;;
      8 | uninstall)
        if [[ $(ask "stop and remove the backend? [y/N] ") == [yY]* ]]; then again uninstall; fi ;;
      q | Q | quit | exit | 0) return 0 ;;
      '') ;;
      *) echo "unknown choice '$choice'" >&2 ;;
    esac
  done
}

main() {
  local command=${1:-}
  (($#)) && shift
  case $command in
    '') menu ;;
    install) cmd_install "$@" ;;
    uninstall) cmd_uninstall "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart) cmd_restart "$@" ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    render) cmd_render "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
