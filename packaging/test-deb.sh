#!/usr/bin/env bash
# The Debian package numdialer-server, end to end, on this machine as root:
# build it with cargo-deb, list and check it, install it, run both binaries
# (the server as the numdialer user on the state directory), upgrade it to a
# higher version whose env file changed, check that the operator's env file
# and the data are byte-identical, purge it and check the data stays.
#
# It installs and purges a real package, creates the numdialer user and
# deletes /var/lib/numdialer when it is done, so it refuses to run where
# numdialer-server is already installed, unless CI=true (CI's machine is
# thrown away). Under CI=true a missing tool fails the run; elsewhere a
# machine without dpkg, or a user who is not root, skips it.
#
# NUMDIALER_DEB_PROFILE=dev (the default) packages the unoptimised binaries
# that `cargo test --workspace` builds, which .ci/run has just built, so the
# package costs no compile; the maintainer scripts, unit, conffile and
# assets are the same as in a release package. NUMDIALER_DEB_PROFILE=release
# builds and checks the package as operators get it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
export CARGO_TERM_COLOR=never

CARGO_DEB_VERSION=3.8.0
PROFILE=${NUMDIALER_DEB_PROFILE:-dev}
OUT=$REPO/target/deb-test
ENV_FILE=/etc/numdialer/numdialer.env
STATE_DIR=/var/lib/numdialer
UNIT_PATH=/usr/lib/systemd/system/numdialer-server.service
start=$SECONDS

say() { printf "[test-deb %3ds] %s\n" "$((SECONDS - start))" "$*"; }
fail() {
    printf '[test-deb] FAILED: %s\n' "$*" >&2
    exit 1
}
# A missing prerequisite: fatal under CI, a skip elsewhere.
unavailable() {
    if [ "${CI:-}" = true ]; then
        fail "$* (CI=true: the packaging test never skips)"
    fi
    say "SKIPPED: $*"
    exit 0
}

[ "$(id -u)" -eq 0 ] || unavailable "not root: installing a package needs root"
command -v apt-get >/dev/null || command -v dpkg >/dev/null || unavailable "not a Debian system (no dpkg)"

# Tools, each with the Debian package that has it; missing ones are installed.
declare -A TOOLS=(
    [dpkg]=dpkg [dpkg-deb]=dpkg [dpkg-shlibdeps]=dpkg-dev [strip]=binutils [xz]=xz-utils
    [setpriv]=util-linux [useradd]=passwd [curl]=curl [od]=coreutils
)
missing=()
for tool in "${!TOOLS[@]}"; do
    command -v "$tool" >/dev/null || missing+=("${TOOLS[$tool]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    if command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
            say "apt-get could not install ${missing[*]}"
        fi
    fi
    for tool in "${!TOOLS[@]}"; do
        command -v "$tool" >/dev/null || unavailable "no $tool (Debian package ${TOOLS[$tool]})"
    done
fi

# cargo-deb at the version this script was checked with. Without its
# default features it builds no C (liblzma) and compresses with xz(1).
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
    say "installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --no-default-features --quiet ||
        fail "cargo install cargo-deb $CARGO_DEB_VERSION"
fi
[ "$(cargo deb --version)" = "cargo-deb $CARGO_DEB_VERSION" ] || fail "cargo deb --version: $(cargo deb --version)"

if dpkg-query -W -f='${Status}' numdialer-server 2>/dev/null | grep -q 'installed' || [ -e "$STATE_DIR" ]; then
    [ "${CI:-}" = true ] || fail "numdialer-server or $STATE_DIR is already on this machine; this test would purge it and delete $STATE_DIR: run it on a throwaway machine (CI=true)"
    say "CI: removing an earlier numdialer-server and $STATE_DIR"
    dpkg --purge numdialer-server >/dev/null 2>&1 || true
    rm -rf "$STATE_DIR"
fi
user_existed=false
getent passwd numdialer >/dev/null && user_existed=true

server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    dpkg --purge numdialer-server >/dev/null 2>&1 || true
    rm -rf "$STATE_DIR"
    if [ "$user_existed" = false ] && getent passwd numdialer >/dev/null; then
        userdel numdialer 2>/dev/null || true
        groupdel numdialer 2>/dev/null || true
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
rm -rf "$OUT"
mkdir -p "$OUT" "$REPO/target/deb-upgrade-test"
deb_flags=(-p numdialer-server --locked --output "$OUT")
if [ "$PROFILE" = dev ]; then
    # A no-op right after .ci/run's `cargo test --workspace --locked`.
    cargo test --workspace --locked --no-run --quiet
    # cargo-deb warns that dev is not a release profile: it is not meant
    # to be one here. Stripped, and xz -1, to package them fast.
    deb_flags+=(--profile dev --no-build --strip --fast)
elif [ "$PROFILE" = release ]; then
    :
else
    fail "NUMDIALER_DEB_PROFILE must be dev or release, not $PROFILE"
fi
say "building the package ($PROFILE)"
cargo deb "${deb_flags[@]}" --deb-revision 1 >"$OUT/build1.log" 2>&1 || {
    cat "$OUT/build1.log"
    fail "cargo deb"
}
DEB1=$(ls "$OUT"/numdialer-server_*-1_*.deb)
say "built $(basename "$DEB1") ($(du -h "$DEB1" | cut -f1))"

# ---------------------------------------------------------------- contents
listing=$(dpkg-deb -c "$DEB1")
printf '%s\n' "$listing" >"$OUT/contents.txt"
# `dpkg-deb -c` prints mode, owner/group (cargo-deb writes them as numbers),
# size, date, time, path.
expect_entry() { # mode path
    printf '%s\n' "$listing" | awk -v m="$1" -v p="./$2" '$1 == m && ($2 == "0/0" || $2 == "root/root") && $6 == p { ok = 1 } END { exit !ok }' ||
        fail "the package lacks $1 root/root ./$2; it has:
$listing"
}
expect_entry -rwxr-xr-x usr/bin/numdialer-server
expect_entry -rwxr-xr-x usr/bin/numdialer
expect_entry -rw-r--r-- usr/lib/systemd/system/numdialer-server.service
expect_entry -rw------- etc/numdialer/numdialer.env
expect_entry -rw-r--r-- usr/share/doc/numdialer-server/examples/nginx.conf
expect_entry -rw-r--r-- usr/share/doc/numdialer-server/examples/Caddyfile
expect_entry -rw-r--r-- usr/share/doc/numdialer-server/copyright
listing_paths() { dpkg-deb -c "$1" | awk '{ print $1, $6 }'; }
# The data directory is the postinst's, never the package's: dpkg would
# delete a directory it owns once it is empty.
if printf '%s\n' "$listing" | grep -q '\./var/'; then fail "the package ships files under /var"; fi

ctrl=$OUT/control1
dpkg-deb -e "$DEB1" "$ctrl"
grep -qx /etc/numdialer/numdialer.env "$ctrl/conffiles" || fail "numdialer.env is not a conffile"
for s in postinst prerm postrm; do
    [ -x "$ctrl/$s" ] || fail "no executable $s in the package"
done
[ "$(dpkg-deb -f "$DEB1" Package)" = numdialer-server ] || fail "package name"
dpkg-deb -f "$DEB1" Depends | grep -q 'libc6' || fail "Depends has no libc6: $(dpkg-deb -f "$DEB1" Depends)"

fsys="$OUT/fsys1"
mkdir -p "$fsys"
dpkg-deb -x "$DEB1" "$fsys"
cmp -s "$fsys$UNIT_PATH" docs/deploy/numdialer-server.service || fail "the packaged unit is not docs/deploy's"
for line in ExecStart=/usr/bin/numdialer-server StateDirectory=numdialer User=numdialer \
    EnvironmentFile=/etc/numdialer/numdialer.env NoNewPrivileges=yes ProtectSystem=strict; do
    grep -qx "$line" "$fsys$UNIT_PATH" || fail "the unit lacks $line"
done
cmp -s "$fsys$ENV_FILE" docs/deploy/numdialer.env || fail "the packaged env file is not docs/deploy's"
grep -qx 'NUMDIALER_API_TOKEN=change-me' "$fsys$ENV_FILE" || fail "the shipped env file has no placeholder token"

# ---------------------------------------------------------------- install
say "installing"
dpkg -i "$DEB1" >"$OUT/install1.log" 2>&1 || {
    cat "$OUT/install1.log"
    fail "dpkg -i"
}
[ "$(dpkg-query -W -f='${Status} ${Version}' numdialer-server)" = "install ok installed 0.1.0-1" ] ||
    fail "installed: $(dpkg-query -W -f='${Status} ${Version}' numdialer-server)"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd numdialer) || fail "no numdialer user"
[ "$uid" -lt 1000 ] || fail "numdialer is not a system user (uid $uid)"
[ "$shell" = /usr/sbin/nologin ] || fail "numdialer has a login shell: $shell"
[ "$home" = "$STATE_DIR" ] || fail "numdialer's home is $home"
[ "$(stat -c '%U:%G %a' "$STATE_DIR")" = "numdialer:numdialer 700" ] || fail "$STATE_DIR is $(stat -c '%U:%G %a' "$STATE_DIR")"
[ "$(stat -c '%U:%G %a' "$ENV_FILE")" = "root:root 600" ] || fail "$ENV_FILE is $(stat -c '%U:%G %a' "$ENV_FILE")"
token=$(sed -n 's/^NUMDIALER_API_TOKEN=//p' "$ENV_FILE")
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || fail "the first install wrote no random token"
grep -q 'wrote a random API token' "$OUT/install1.log" || fail "postinst did not say it wrote the token"
diff <(grep -v '^NUMDIALER_API_TOKEN=' "$ENV_FILE") <(grep -v '^NUMDIALER_API_TOKEN=' docs/deploy/numdialer.env) >/dev/null ||
    fail "postinst changed more than the token line"
[ ! -e /etc/systemd/system/multi-user.target.wants/numdialer-server.service ] || fail "the install enabled the unit"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$UNIT_PATH" || fail "systemd-analyze verify $UNIT_PATH"
fi

# The same package again: postinst runs on an existing user, directory and token.
env_before=$(sha256sum "$ENV_FILE")
dpkg -i "$DEB1" >"$OUT/install1-again.log" 2>&1 || {
    cat "$OUT/install1-again.log"
    fail "reinstalling the same package"
}
[ "$(sha256sum "$ENV_FILE")" = "$env_before" ] || fail "a reinstall changed the env file"
[ "$(getent passwd numdialer | cut -d: -f3)" = "$uid" ] || fail "a reinstall changed the user"

# ---------------------------------------------------------------- run
numdialer-server --version | grep -qx 'numdialer-server 0\.1\.0' || fail "numdialer-server --version: $(numdialer-server --version)"
numdialer --version | grep -q '^numdialer 0\.1\.0' || fail "numdialer --version: $(numdialer --version)"
numdialer --help >/dev/null || fail "numdialer --help"

# The shipped placeholder is refused, naming where to set a token.
set +e
refused=$(NUMDIALER_API_TOKEN=change-me numdialer-server --data-dir "$OUT/never" 2>&1)
code=$?
set -e
[ "$code" -eq 1 ] || fail "the placeholder token: exit $code, not 1"
[[ "$refused" == *"$ENV_FILE"* && "$refused" == *NUMDIALER_API_TOKEN* ]] || fail "the placeholder token: $refused"
[ ! -e "$OUT/never" ] || fail "the refused start made its data directory"

# The server as the unit runs it: the numdialer user, the env file, umask
# 077, in its state directory; but on a free loopback port, with the
# embedded simulator at 100 times speed instead of the placeholder dialer
# API, and /metrics beside the API.
start_server() { # log
    (
        cd "$STATE_DIR"
        umask 077
        set -a
        # shellcheck disable=SC1090
        . "$ENV_FILE"
        set +a
        unset NUMDIALER_DIALER_URL NUMDIALER_PUBLIC_URL NUMDIALER_METRICS_LISTEN
        export NUMDIALER_LISTEN=127.0.0.1:0 NUMDIALER_SIM_TIME_SCALE=0.01
        exec setpriv --reuid=numdialer --regid=numdialer --clear-groups /usr/bin/numdialer-server
    ) >"$1" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + 60)) addr=
    while [ -z "$addr" ]; do
        kill -0 "$server_pid" 2>/dev/null || {
            cat "$1"
            fail "the server exited at start"
        }
        [ "$SECONDS" -lt "$deadline" ] || fail "the server did not listen within 60 s"
        addr=$(grep 'numdialer-server listening' "$1" | grep -o '"addr":"127\.0\.0\.1:[0-9]*"' | cut -d'"' -f4) || true
        [ -n "$addr" ] || sleep 0.2
    done
    BASE=http://$addr
    [ "$(curl -sS "$BASE/healthz")" = '{"ok":true}' ] || fail "/healthz: $(curl -sS "$BASE/healthz")"
}
api() { curl -sS -H "Authorization: Bearer $token" "$@"; }
stop_server() {
    kill -TERM "$server_pid"
    local code=0
    wait "$server_pid" || code=$?
    server_pid=
    [ "$code" -eq 0 ] || fail "the server exited $code on SIGTERM"
}
# The part of /statuses that says who was dialed and how it ended.
calls() { api "$BASE/statuses" | sed 's/.*"calls"://'; }

say "running the server as numdialer"
start_server "$OUT/server1.log"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/statuses")" = 401 ] || fail "/statuses answered without the token"
[ "$(api -X POST "$BASE/calls")" = '{"started":true}' ] || fail "POST /calls"
deadline=$((SECONDS + 120))
until api "$BASE/statuses" | grep -q '"finished":true'; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the list did not finish within 120 s: $(api "$BASE/statuses")"
    sleep 0.5
done
calls_before=$(calls)
stop_server
[ -z "$(find "$STATE_DIR" ! -user numdialer)" ] || fail "files in $STATE_DIR not owned by numdialer: $(find "$STATE_DIR" ! -user numdialer)"
[ -n "$(find "$STATE_DIR" -type f)" ] || fail "the server wrote no data in $STATE_DIR"

# ---------------------------------------------------------------- upgrade
# The operator edits the env file.
sed -i 's/^NUMDIALER_CONCURRENCY=.*/NUMDIALER_CONCURRENCY=5/' "$ENV_FILE"
echo '# edited by the operator' >>"$ENV_FILE"
snapshot() { # every file and directory under the state path: type, owner, mode, size, content
    (cd "$STATE_DIR" && find . -printf '%y %u:%g %m %s %p\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}
env_edited=$(sha256sum "$ENV_FILE")
data_before=$(snapshot)

# The next package: a higher revision whose shipped env file changed.
{
    cat docs/deploy/numdialer.env
    echo '# A line that the next package adds.'
} >"$REPO/target/deb-upgrade-test/numdialer.env"
flags2=("${deb_flags[@]}")
[ "$PROFILE" = release ] && flags2+=(--no-build)
cargo deb "${flags2[@]}" --variant upgrade-test --deb-revision 2 >"$OUT/build2.log" 2>&1 || {
    cat "$OUT/build2.log"
    fail "cargo deb (upgrade)"
}
DEB2=$(ls "$OUT"/numdialer-server_*-2_*.deb)
[ "$(dpkg-deb -f "$DEB2" Package)" = numdialer-server ] || fail "the upgrade's package name"
mkdir -p "$OUT/fsys2"
dpkg-deb -x "$DEB2" "$OUT/fsys2"
grep -qx '# A line that the next package adds.' "$OUT/fsys2$ENV_FILE" || fail "the upgrade's env file did not change"
diff <(listing_paths "$DEB1") <(listing_paths "$DEB2") >/dev/null || fail "the upgrade's files differ from the first package's:
$(diff <(listing_paths "$DEB1") <(listing_paths "$DEB2"))"

say "upgrading to $(basename "$DEB2") with --force-confold"
dpkg -i --force-confold "$DEB2" >"$OUT/install2.log" 2>&1 || {
    cat "$OUT/install2.log"
    fail "dpkg -i (upgrade)"
}
[ "$(dpkg-query -W -f='${Version}' numdialer-server)" = 0.1.0-2 ] || fail "the upgrade did not install 0.1.0-2"
[ "$(sha256sum "$ENV_FILE")" = "$env_edited" ] || fail "the upgrade changed the operator's env file"
[ "$(stat -c '%U:%G %a' "$ENV_FILE")" = "root:root 600" ] || fail "the upgrade changed the env file's mode"
cmp -s "$ENV_FILE.dpkg-dist" "$OUT/fsys2$ENV_FILE" || fail "the upgrade left no $ENV_FILE.dpkg-dist with the new default"
[ "$(snapshot)" = "$data_before" ] || fail "the upgrade changed $STATE_DIR:
$(diff <(printf '%s\n' "$data_before") <(snapshot))"

# The upgraded server opens the data: the list stays finished, nobody is
# dialed again.
start_server "$OUT/server2.log"
[ "$(calls)" = "$calls_before" ] || fail "after the upgrade /statuses changed:
$calls_before
$(calls)"
[ "$(api -s -o /dev/null -w '%{http_code}' -X POST "$BASE/calls")" = 409 ] || fail "POST /calls after the upgrade did not answer 409"
stop_server

# ---------------------------------------------------------------- purge
data_after=$(snapshot)
dpkg --purge numdialer-server >"$OUT/purge.log" 2>&1 || {
    cat "$OUT/purge.log"
    fail "dpkg --purge"
}
grep -q "the data stays in $STATE_DIR" "$OUT/purge.log" || fail "purge did not say where the data stays"
if [ -e /usr/bin/numdialer-server ] || [ -e "$ENV_FILE" ]; then fail "purge left the binary or the env file"; fi
[ "$(snapshot)" = "$data_after" ] || fail "purge changed $STATE_DIR"
getent passwd numdialer >/dev/null || fail "purge deleted the numdialer user"

say "ok: built, listed, installed, ran, upgraded and purged in $((SECONDS - start)) s"
