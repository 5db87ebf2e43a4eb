#!/usr/bin/env bash
# Install, upgrade, roll back or remove the ADM kiosk on a Debian 12 machine. Run it again at any time:
# it changes only what differs. See README.md, section Deploy.
#
#   deploy/install.sh                      install or upgrade from this source tree (as root)
#   deploy/install.sh --config FILE        ... and install FILE as /etc/adm-kiosk/config.yaml (checked first)
#   deploy/install.sh --rollback           switch back to the previous release
#   deploy/install.sh --uninstall [--purge]
#   deploy/install.sh --prefix DIR ...     dry run into DIR (also DESTDIR=DIR): files and modes are written
#                                          there; users, owners, apt, systemctl and udevadm are only recorded
#                                          in DIR/adm-kiosk-install.plan. Needs no root.
#
# Options: --wheel FILE (install this wheel, not the source tree), --wheelhouse DIR (offline: pip takes
# everything from DIR, made by deploy/build-wheelhouse.sh; its SHA256SUMS are checked and its adm-kiosk
# wheel is the one installed), --use-venv DIR (use an already-built virtualenv for the release, e.g. an
# image builder's), --release NAME (name of the release directory; default: the package version), --force
# (rebuild a release that exists), --no-apt, --no-start, --user/--group NAME (dry run only: owners to apply
# in DIR, for tests running as root). In a dry run with --wheelhouse the release's virtualenv is built for
# real inside DIR (offline, nothing outside DIR changes).
#
# A release directory remembers what it was built from (.source). Installing different code under a
# version that is already installed is refused (exit 4): raise the version, or --force to rebuild it.
#
# Exit status: 0 done, 1 failed, 2 usage, 3 the new version rejects the config (nothing was switched:
# the running version keeps running; `adm-kiosk check-config` printed why), 4 this version is already
# installed from different code.
set -euo pipefail
umask 022

NAME=adm-kiosk
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNTIME_PACKAGES=(cage xwayland seatd cups python3 python3-venv libgl1 libegl1 libmtdev1 libusb-1.0-0 espeak-ng alsa-utils)
BUILD_PACKAGES=(gcc python3-dev libc6-dev libcups2-dev)   # pycups compiles against libcups
# Only when the config names a real card reader (pcsc) or fingerprint reader (libfprint): the KTP-el + finger
# login's PC/SC daemon and libfprint with its GObject bindings; pyscard and PyGObject build against the rest.
READER_PACKAGES=(pcscd libpcsclite1 libfprint-2-2 gir1.2-fprint-2.0 libgirepository-1.0-1)
READER_BUILD_PACKAGES=(swig libpcsclite-dev libgirepository1.0-dev libcairo2-dev pkg-config)

ROOT=${DESTDIR:-}
MODE=install PURGE=0 FORCE=0 APT=1 START=1 WHEEL= WHEELHOUSE= USE_VENV= CONFIG_IN= RELEASE= RELEASE_NAME=
OWNER_USER=$NAME OWNER_GROUP=$NAME OWNER_OVERRIDE=0

die() { echo "install: error: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix|--destdir) [ $# -ge 2 ] || usage; ROOT=$2; shift ;;
        --prefix=*|--destdir=*) ROOT=${1#*=} ;;
        --config) [ $# -ge 2 ] || usage; CONFIG_IN=$(realpath "$2"); shift ;;
        --wheel) [ $# -ge 2 ] || usage; WHEEL=$(realpath "$2"); shift ;;
        --wheelhouse) [ $# -ge 2 ] || usage; WHEELHOUSE=$(realpath "$2"); shift ;;
        --use-venv) [ $# -ge 2 ] || usage; USE_VENV=$(realpath "$2"); shift ;;
        --release) [ $# -ge 2 ] || usage; RELEASE_NAME=$2; shift ;;
        --user) [ $# -ge 2 ] || usage; OWNER_USER=$2; OWNER_OVERRIDE=1; shift ;;
        --group) [ $# -ge 2 ] || usage; OWNER_GROUP=$2; OWNER_OVERRIDE=1; shift ;;
        --rollback) MODE=rollback ;;
        --uninstall) MODE=uninstall ;;
        --purge) PURGE=1 ;;
        --force) FORCE=1 ;;
        --no-apt) APT=0 ;;
        --no-start) START=0 ;;
        -h|--help) usage 0 ;;
        *) echo "install: unknown option: $1" >&2; usage ;;
    esac
    shift
done

DRY=0
if [ -n "$ROOT" ]; then
    DRY=1
    mkdir -p "$ROOT"
    ROOT=$(realpath "$ROOT")
    [ "$ROOT" != / ] || die "--prefix / is not a dry run; leave --prefix out to install for real" 2
elif [ "$(id -u)" -ne 0 ]; then
    die "run as root, or give --prefix DIR for a dry run" 2
fi
[ "$OWNER_OVERRIDE" = 0 ] || [ "$DRY" = 1 ] || die "--user/--group only apply to a dry run (--prefix)" 2
[ "$PURGE" = 0 ] || [ "$MODE" = uninstall ] || die "--purge goes with --uninstall" 2

OPT=$ROOT/opt/$NAME
ETC=$ROOT/etc/$NAME
CONFIG=$ETC/config.yaml
STATE=$ROOT/var/lib/$NAME
LOGDIR=$ROOT/var/log/$NAME
CACHE=$ROOT/var/cache/$NAME
# source in this tree -> installed path (below ROOT), mode
SYSTEM_FILES=(
    "kiosk.service|/etc/systemd/system/$NAME.service|0644"
    "deploy/70-adm-kiosk.rules|/etc/udev/rules.d/70-adm-kiosk.rules|0644"
    "deploy/adm-kiosk-modules.conf|/etc/modules-load.d/adm-kiosk.conf|0644"
    "deploy/logind-adm-kiosk.conf|/etc/systemd/logind.conf.d/adm-kiosk.conf|0644"
    "deploy/sysctl-adm-kiosk.conf|/etc/sysctl.d/60-adm-kiosk.conf|0644"
)
PLAN=$ROOT/$NAME-install.plan
# Tab completion of adm-kiosk for technicians' shells; bash-completion loads it by the command's name.
COMPLETION=/usr/share/bash-completion/completions/$NAME
CHANGED=0

say() { echo "install: $*"; }
# Run a command that changes the system; in a dry run, only write it down.
act() {
    if [ "$DRY" = 1 ]; then
        echo "$*" >> "$PLAN"
        echo "install: would run: $*"
    else
        echo "install: $*"
        "$@"
    fi
}
# chown, unless this is a dry run without owners to apply (non-root, or the kiosk user does not exist here).
own() {  # own USER:GROUP PATH...
    local owner=$1; shift
    if [ "$DRY" = 0 ]; then
        chown "$owner" "$@"
        return
    fi
    local path
    for path in "$@"; do echo "chown $owner ${path#"$ROOT"}" >> "$PLAN"; done
    if [ "$OWNER_OVERRIDE" = 1 ] && [ "$(id -u)" -eq 0 ]; then
        owner=${owner//$NAME:/$OWNER_USER:}
        owner=${owner//:$NAME/:$OWNER_GROUP}
        chown "$owner" "$@"
    fi
}
# Install a file only when its content differs; always (re)apply mode and owner.
put() {  # put SRC DEST MODE OWNER
    local src=$1 dest=$2 mode=$3 owner=$4
    mkdir -p "$(dirname "$dest")"
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        chmod "$mode" "$dest"
    else
        install -m "$mode" "$src" "$dest.new.$$"
        mv -f "$dest.new.$$" "$dest"
        say "wrote ${dest#"$ROOT"}"
        CHANGED=1
    fi
    own "$owner" "$dest"
}
dir() {  # dir PATH MODE OWNER
    mkdir -p "$1"
    chmod "$2" "$1"
    own "$3" "$1"
}

# What the release is built from, so that different code under the same version is noticed: a digest of
# the files that go into the wheel, of a wheel's RECORD (the digests of everything in it), or the path of a
# prebuilt virtualenv.
fingerprint_of_source() {
    if [ -n "$USE_VENV" ]; then
        echo "venv $USE_VENV"
    elif [ -n "$WHEEL" ]; then
        echo "wheel $(python3 - "$WHEEL" <<'PY'
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    record = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
    print(hashlib.sha256(wheel.read(record)).hexdigest())
PY
)"
    else
        echo "tree $(cd "$SRC" && find pyproject.toml README.md LICENSE kiosk devices printjobs central assets \
            -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum |
            sha256sum | cut -d' ' -f1)"
    fi
}

# The wheelhouse is what an offline kiosk trusts: check it, and take this release's wheel from it.
check_wheelhouse() {
    [ -n "$WHEELHOUSE" ] || return 0
    [ -f "$WHEELHOUSE/SHA256SUMS" ] || die "$WHEELHOUSE has no SHA256SUMS; build it with deploy/build-wheelhouse.sh"
    (cd "$WHEELHOUSE" && sha256sum --quiet --strict -c SHA256SUMS) ||
        die "$WHEELHOUSE does not match its SHA256SUMS; build it again"
    if [ -z "$WHEEL" ] && [ -z "$USE_VENV" ]; then
        local found=("$WHEELHOUSE"/adm_kiosk-*.whl)
        [ ${#found[@]} -eq 1 ] && [ -f "${found[0]}" ] ||
            die "$WHEELHOUSE must hold exactly one adm_kiosk-*.whl (found ${#found[@]})"
        WHEEL=${found[0]}
    fi
}

version_of_source() {
    if [ -n "$RELEASE_NAME" ]; then
        echo "$RELEASE_NAME"
    elif [ -n "$USE_VENV" ]; then
        "$USE_VENV/bin/adm-kiosk" version | cut -d' ' -f2
    elif [ -n "$WHEEL" ]; then
        basename "$WHEEL" | cut -d- -f2
    else
        sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$SRC/pyproject.toml" | head -n1
    fi
}

# ---------------------------------------------------------------------------------------------- steps
ensure_packages() {
    [ "$APT" = 1 ] || return 0
    local wanted=("${RUNTIME_PACKAGES[@]}") readers=0
    [[ ",$(config_extras)," == *,cardlogin,* ]] && readers=1
    [ "$readers" = 0 ] || wanted+=("${READER_PACKAGES[@]}")
    if [ -z "$USE_VENV" ]; then  # a wheel needs its dependencies' wheels built: pyscard and PyGObject compile
        [ -n "$WHEEL" ] || wanted+=("${BUILD_PACKAGES[@]}")
        [ "$readers" = 0 ] || [ -n "$WHEELHOUSE" ] || wanted+=("${READER_BUILD_PACKAGES[@]}")
    fi
    local missing=() p
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ "$DRY" = 1 ] && missing=("${wanted[@]}")   # a dry run records the whole list
    [ ${#missing[@]} -gt 0 ] || return 0
    act apt-get install -y --no-install-recommends "${missing[@]}"
}

ensure_accounts() {
    if [ "$DRY" = 1 ]; then
        act groupadd --system $NAME
        act useradd --system --gid $NAME --home-dir /var/lib/$NAME --no-create-home --shell /usr/sbin/nologin $NAME
        return
    fi
    getent group render >/dev/null || act groupadd --system render
    getent group $NAME >/dev/null || act groupadd --system $NAME
    id -u $NAME >/dev/null 2>&1 ||
        act useradd --system --gid $NAME --home-dir /var/lib/$NAME --no-create-home --shell /usr/sbin/nologin \
            --comment "ADM kiosk" $NAME
}

ensure_dirs() {
    dir "$OPT" 0755 root:root
    dir "$OPT/releases" 0755 root:root
    dir "$ETC" 0750 root:$NAME
    # Journal, outbox, audit log and keys: the kiosk's own, nobody else's.
    dir "$STATE" 0750 $NAME:$NAME
    dir "$LOGDIR" 0750 $NAME:$NAME
    dir "$CACHE" 0750 $NAME:$NAME
    # Mount point of the technician's USB stick (the unit's ReadWritePaths= needs it to exist at start).
    dir "$ROOT/media/$NAME-usb" 0755 root:root
}

# Build (or reuse) /opt/adm-kiosk/releases/VERSION; sets RELEASE to its path.
build_release() {
    local version=$1 source
    RELEASE=$OPT/releases/$1
    source=$(fingerprint_of_source)
    if [ -f "$RELEASE/.complete" ] && [ "$FORCE" = 0 ]; then
        if [ "$(cat "$RELEASE/.source" 2>/dev/null)" = "$source" ]; then
            say "release $version is already built"
            return
        fi
        echo "install: error: release $version is already installed, built from different code" >&2
        echo "install: (installed: $(cat "$RELEASE/.source" 2>/dev/null || echo unknown); now: $source)" >&2
        echo "install: raise the version in pyproject.toml for a new release, or run with --force to rebuild $version" >&2
        exit 4
    fi
    # The virtualenv is built where it will stay (its scripts name their interpreter by absolute path); a
    # release being rebuilt moves aside until the new one is complete.
    local aside=
    if [ -e "$RELEASE" ]; then
        aside=$OPT/releases/.$version.old.$$
        mv "$RELEASE" "$aside"
    fi
    mkdir -p "$RELEASE"
    if ! make_venv "$version"; then
        rm -rf "$RELEASE"
        [ -z "$aside" ] || mv "$aside" "$RELEASE"
        die "could not build release $version"
    fi
    install -m 0644 "$SRC/README.md" "$RELEASE/README.md"
    echo "$source" > "$RELEASE/.source"
    echo "$version" > "$RELEASE/.complete"
    [ -z "$aside" ] || rm -rf "$aside"
    say "built release $version"
    CHANGED=1
}

# The optional extras the config the release will run with needs, comma-separated: "evdev" when it names an
# evdev barcode reader, "cardlogin" when it names a pcsc card reader or a libfprint fingerprint reader
# (comments left out; check-config refuses anything else that says so).
config_extras() {
    local file=${CONFIG_IN:-$CONFIG} extras=() text
    [ -f "$file" ] || return 0
    text=$(sed 's/#.*//' "$file")
    _names_driver "$text" evdev && extras+=(evdev)
    { _names_driver "$text" pcsc || _names_driver "$text" libfprint; } && extras+=(cardlogin)
    local IFS=,
    echo "${extras[*]}"
}

_names_driver() {  # _names_driver TEXT DRIVER: whether TEXT has "driver: DRIVER"
    grep -Eq "(^|[[:space:],{])driver:[[:space:]]*[\"']?$2([\"'[:space:],}]|$)" <<< "$1"
}

make_venv() {  # make_venv VERSION: $RELEASE/venv
    local version=$1 venv=$RELEASE/venv extras package
    extras=$(config_extras)
    package=${WHEEL:-$SRC}${extras:+[$extras]}
    if [ -n "$USE_VENV" ]; then
        [ -x "$USE_VENV/bin/adm-kiosk" ] || { echo "install: --use-venv $USE_VENV has no bin/adm-kiosk" >&2; return 1; }
        [ -z "$extras" ] || say "warning: the config needs the '$extras' extra; --use-venv $USE_VENV is used as it is"
        ln -s "$USE_VENV" "$venv"
        return 0
    fi
    if [ "$DRY" = 1 ] && [ -z "$WHEELHOUSE" ]; then
        act python3 -m venv "/opt/$NAME/releases/$version/venv"
        act "/opt/$NAME/releases/$version/venv/bin/pip" install "$package"
        mkdir -p "$venv/bin"
        return 0
    fi
    python3 -m venv "$venv" || return 1
    local pip=("$venv/bin/pip" install --disable-pip-version-check --no-cache-dir -q)
    [ -z "$WHEELHOUSE" ] || pip+=(--no-index --find-links "$WHEELHOUSE")
    say "installing $(basename "${WHEEL:-$SRC}")${extras:+ with the $extras extra} into /opt/$NAME/releases/$version/venv"
    "${pip[@]}" "$package" || return 1
    # A release is read-only code for the sandbox; byte-compile it now.
    "$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null || say "warning: compileall failed"
}

# Check a config with the given release's check-config (OPTIONS: --pushed checks the config the operator
# pushed, in the state directory FILE names); the output explains any rejection.
check_config() {  # check_config RELEASE FILE [OPTIONS...]
    local bin=$1/venv/bin/adm-kiosk
    if [ ! -x "$bin" ]; then
        [ "$DRY" = 1 ] || die "$bin is missing"
        act "/opt/$NAME/releases/$(basename "$1")/venv/bin/adm-kiosk" check-config "${@:3}" "${2#"$ROOT"}"
        return 0
    fi
    "$bin" check-config "${@:3}" "$2"
}

# Decide the config the new release will run with; refuse to go on if it rejects it.
install_config() {  # install_config RELEASE
    local release=$1 candidate="$ETC/.config.yaml.new"
    rm -f "$candidate"
    if [ -n "$CONFIG_IN" ]; then
        install -m 0640 "$CONFIG_IN" "$candidate"
    elif [ ! -f "$CONFIG" ]; then
        # First install: the production example (no technicians, real drivers, the central URL to set).
        install -m 0640 "$SRC/config.yaml" "$candidate"
    fi
    # The candidate sits next to the real file, so its relative paths resolve the same way.
    local checked=${candidate}
    [ -f "$candidate" ] || checked=$CONFIG
    if cmp -s "$checked" "$SRC/config.yaml"; then
        # The example as shipped is not a working config until the administrator sets it; the kiosk shows
        # what is missing on its screen meanwhile. Say so, but do not refuse it.
        check_config "$release" "$checked" ||
            say "${CONFIG#"$ROOT"} is the shipped example: set what check-config named above (README, Deploy)"
    elif ! check_config "$release" "$checked"; then
        rm -f "$candidate"
        echo "install: error: release $(basename "$release") rejects ${checked#"$ROOT"}" >&2
        if [ -n "$(current_release)" ]; then
            echo "install: nothing was switched; release $(basename "$(current_release)") keeps running." >&2
        fi
        echo "install: fix the config (see the errors above) and run install.sh again." >&2
        exit 3
    fi
    # A config the operator pushed (fleet) is what the kiosk runs on, not /etc's: a release that refuses it
    # runs on /etc's file instead (see kiosk/config_push.py). Say so before switching; do not refuse.
    check_config "$release" "$checked" --pushed ||
        say "warning: release $(basename "$release") refuses the config the operator pushed (above): the kiosk will run on ${CONFIG#"$ROOT"} until the operator pushes one it takes"
    if [ -f "$candidate" ]; then
        if [ -f "$CONFIG" ] && cmp -s "$candidate" "$CONFIG"; then
            rm -f "$candidate"
        else
            [ ! -f "$CONFIG" ] || cp -p "$CONFIG" "$CONFIG.$(date +%Y%m%dT%H%M%S).bak"
            chmod 0640 "$candidate"
            mv -f "$candidate" "$CONFIG"
            say "wrote ${CONFIG#"$ROOT"}"
            CHANGED=1
        fi
    fi
    chmod 0640 "$CONFIG"
    own root:$NAME "$CONFIG"
}

current_release() { [ -L "$OPT/current" ] && realpath "$OPT/current" || true; }

# Point /opt/adm-kiosk/current at RELEASE (atomically) and /opt/adm-kiosk/previous at the one before.
switch_to() {
    local release=$1 old
    old=$(current_release)
    [ "$old" != "$release" ] || return 0
    [ -z "$old" ] || ln -sfn "releases/$(basename "$old")" "$OPT/previous"
    ln -sfn "releases/$(basename "$release")" "$OPT/current.new"
    mv -T "$OPT/current.new" "$OPT/current"
    say "current release: $(basename "$release")${old:+ (previous: $(basename "$old"))}"
    CHANGED=1
}

install_system_files() {
    local entry src dest mode
    for entry in "${SYSTEM_FILES[@]}"; do
        IFS='|' read -r src dest mode <<< "$entry"
        put "$SRC/$src" "$ROOT$dest" "$mode" root:root
    done
    # The release prints its own completion code (it asks the installed adm-kiosk on each TAB).
    local bin=$RELEASE/venv/bin/adm-kiosk script
    [ -x "$bin" ] || return 0  # a dry run without a built release
    script=$(mktemp)
    if "$bin" completion bash > "$script"; then
        put "$script" "$ROOT$COMPLETION" 0644 root:root
    else
        say "warning: no tab completion ($bin completion bash failed)"
    fi
    rm -f "$script"
}

# CUPS stops a queue on a device fault (paper out, a jam) and leaves it stopped until someone runs
# cupsenable. The kiosk's printers retry instead: the kiosk shows the fault, and the technician's reload
# resumes a queue that stopped anyway. The server default covers queues added later.
configure_cups() {
    act cupsctl ErrorPolicy=retry-job
    local queue
    for queue in $(sed -n 's/^[[:space:]]*queue:[[:space:]]*\([A-Za-z0-9_.-]*\).*/\1/p' "$CONFIG" 2>/dev/null); do
        if [ "$DRY" = 1 ] || lpstat -p "$queue" >/dev/null 2>&1; then
            act lpadmin -p "$queue" -o printer-error-policy=retry-job
        else
            say "CUPS queue $queue does not exist yet; it will take the server's retry-job policy when added"
        fi
    done
}

activate() {
    configure_cups
    act systemctl daemon-reload
    act udevadm control --reload
    act udevadm trigger --action=change --subsystem-match=usb --subsystem-match=usbmisc \
        --subsystem-match=tty --subsystem-match=input
    act systemctl restart systemd-modules-load.service
    act sysctl -q -p /etc/sysctl.d/60-adm-kiosk.conf
    act systemctl mask ctrl-alt-del.target
    act systemctl set-default graphical.target
    act systemctl enable seatd.service $NAME.service
    [ "$START" = 1 ] || return 0
    # seatd is started, never restarted: a running compositor would lose its seat.
    act systemctl start seatd.service
    if [ "$CHANGED" = 1 ]; then
        act systemctl restart $NAME.service
    else
        say "nothing changed"
        act systemctl start $NAME.service
    fi
}

do_install() {
    local version
    check_wheelhouse
    version=$(version_of_source)
    [[ "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "not a release name: '$version'" 2
    ensure_packages
    ensure_accounts
    ensure_dirs
    build_release "$version"
    install_config "$RELEASE"
    switch_to "$RELEASE"
    install_system_files
    activate
    say "installed $NAME $version${ROOT:+ into $ROOT (dry run; see ${PLAN})}"
}

do_rollback() {
    [ -L "$OPT/previous" ] || die "no previous release to roll back to"
    local previous current
    previous=$(realpath "$OPT/previous")
    current=$(current_release)
    check_config "$previous" "$CONFIG" || die "release $(basename "$previous") rejects the config; not rolled back" 3
    ln -sfn "releases/$(basename "$previous")" "$OPT/current.new"
    mv -T "$OPT/current.new" "$OPT/current"
    ln -sfn "releases/$(basename "$current")" "$OPT/previous"
    say "rolled back to $(basename "$previous") (previous: $(basename "$current"))"
    act systemctl restart $NAME.service
}

do_uninstall() {
    act systemctl disable --now $NAME.service
    local entry src dest mode
    for entry in "${SYSTEM_FILES[@]}"; do
        IFS='|' read -r src dest mode <<< "$entry"
        rm -f "$ROOT$dest"
    done
    rm -f "$ROOT$COMPLETION"
    act systemctl unmask ctrl-alt-del.target
    act systemctl daemon-reload
    act udevadm control --reload
    rm -rf "$OPT"
    if [ "$PURGE" = 1 ]; then
        rm -rf "$ETC" "$STATE" "$LOGDIR" "$CACHE"
        act userdel $NAME
        act groupdel $NAME
        say "removed $NAME, its config, state, journal and audit data"
    else
        say "removed $NAME; kept ${ETC#"$ROOT"}, ${STATE#"$ROOT"} (print journal, outbox, audit log) and ${LOGDIR#"$ROOT"}"
        say "to delete them too: install.sh --uninstall --purge"
    fi
}

# One install at a time.
LOCK=$ROOT/run/$NAME-install.lock
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
flock -n 9 || die "another install.sh is running"
[ "$DRY" = 0 ] || : > "$PLAN"

case "$MODE" in
    install) do_install ;;
    rollback) do_rollback ;;
    uninstall) do_uninstall ;;
esac
