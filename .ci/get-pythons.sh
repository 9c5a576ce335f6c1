#!/usr/bin/env bash
# Obtain CPython 3.14 and 3.15 (Debian's builds) on a Debian bookworm machine,
# for .ci/run, and print their interpreter paths on stdout, one a line.
#
#   .ci/get-pythons.sh [DEST]        DEST defaults to /var/cache/whyalive-ci
#
# The interpreters come from Debian's newest suite (sid; forky as a fallback)
# as binary packages, fetched with a private apt state under DEST/.apt, so the
# machine's own apt sources and state are never touched; the Debian mirror is
# the one the machine's apt configuration already names (no host is written
# here).  Each is unpacked with `dpkg -x` into DEST/py3.X, together with the
# glibc and libraries those packages were built against, and its `python3.X`
# is patched (patchelf) to load that glibc.  Two fixes make it usable for
# building extensions and venvs: Debian's pyconfig.h includes the multiarch
# one by a system path (copied beside it), and Debian's ensurepip looks for
# its wheels under /usr/share/python-wheels (pointed into DEST instead).
#
# An interpreter already in DEST that runs is reused as it is; delete its
# folder to fetch it again.  PYVERSIONS="3.14 3.15" chooses the versions.
# The time taken is printed on stderr.  Needs root (apt-get, dpkg), or
# passwordless sudo for the one-time `apt-get install patchelf`.
set -euo pipefail
start=$SECONDS
dest=${1:-/var/cache/whyalive-ci}
versions=${PYVERSIONS-"3.14 3.15"}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

log() { echo "get-pythons: $*" >&2; }

# usable DIR VERSION: the interpreter in DIR runs and has what the CI needs
usable() {
    local py="$1/usr/bin/python$2"
    [ -x "$py" ] && "$py" -c 'import ssl, sqlite3, ctypes, venv, ensurepip, sysconfig' 2>/dev/null &&
        [ -f "$1/usr/include/python$2/pyconfig.h" ]
}

todo=()
for v in $versions; do
    usable "$dest/py$v" "$v" || todo+=("$v")
done

if [ ${#todo[@]} -gt 0 ]; then
    apt="$dest/.apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
    key=/usr/share/keyrings/debian-archive-keyring.gpg
    # The Debian mirror this machine's apt is configured with: deb822 sources
    # first, then one-line sources.
    mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
        mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\/.*\/debian\/?$/) { print $i; exit } }' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
    fi
    if [ -z "$mirror" ]; then
        log "no Debian mirror found in this machine's apt configuration"
        exit 1
    fi
    mirror=${mirror%/}
    log "mirror $mirror (from the machine's apt configuration)"
    {
        echo "deb [signed-by=$key] $mirror sid main"
        echo "deb [signed-by=$key] $mirror forky main"
    } >"$apt/sources.list"
    O=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$apt/lists" -o Dir::State::status=/dev/null
        -o Dir::Cache="$apt/cache" -o Dir::Etc::Preferences=/dev/null
        -o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User=root)
    apt-get "${O[@]}" -qq update >&2
    if ! command -v patchelf >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
        $sudo apt-get install -y -qq patchelf >/dev/null 2>&1 ||
            { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq patchelf >/dev/null; }
    fi
    # The libraries the interpreters link against, at the versions they were
    # built with (sid's glibc is newer than bookworm's).
    libs=(libc6 libssl3t64 libffi8 libexpat1 libzstd1 libsqlite3-0 libncursesw6 libtinfo6
        libreadline8t64 liblzma5 libbz2-1.0 libuuid1 zlib1g libgcc-s1 libdb5.3t64
        libmpdec4 python3-pip-whl python3-setuptools-whl)
    rm -f "$apt"/debs/*.deb
    for v in "${todo[@]}"; do
        pkgs=("python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" "python$v"
            "libpython$v" "libpython$v-dev" "python$v-dev" "python$v-venv")
        (cd "$apt/debs" && apt-get "${O[@]}" -qq download "${pkgs[@]}" >&2)
    done
    # a library a suite does not have (renamed, or linked statically) is not needed
    for p in "${libs[@]}"; do
        (cd "$apt/debs" && apt-get "${O[@]}" -qq download "$p" >&2 2>/dev/null) ||
            log "note: no package $p in the suites (skipped)"
    done
    for v in "${todo[@]}"; do
        root="$dest/py$v"
        rm -rf "$root"
        mkdir -p "$root"
        for d in "$apt"/debs/*.deb; do
            name=$(basename "$d")
            # another version's python packages are not this one's
            case $name in
                *python3.1[0-9]*) [[ $name == *"python$v"[-_]* ]] || continue ;;
            esac
            dpkg -x "$d" "$root"
        done
        lib="$root/usr/lib/x86_64-linux-gnu"
        patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$lib" \
            "$root/usr/bin/python$v"
        cp "$root/usr/include/x86_64-linux-gnu/python$v/pyconfig.h" "$root/usr/include/python$v/pyconfig.h"
        sed -i "s#'/usr/share/python-wheels/'#'$root/usr/share/python-wheels/'#" \
            "$root/usr/lib/python$v"/_sysconfigdata_*.py
        # not needed for CI, and a quarter of the size
        rm -f "$lib/libpython$v.a" "$root/usr/lib/python$v"/config-*/libpython*.a
        if ! usable "$root" "$v"; then
            "$root/usr/bin/python$v" -c 'import ssl, sqlite3, ctypes, venv, ensurepip' >&2 || true
            log "CPython $v from $mirror is not usable"
            exit 1
        fi
    done
    rm -f "$apt"/debs/*.deb "$apt"/cache/*.bin
    rm -rf "$apt/cache/archives"
fi

for v in $versions; do
    echo "$dest/py$v/usr/bin/python$v"
done
log "CPython ${versions// /, } ready in $dest in $((SECONDS - start)) s (fetched: ${todo[*]:-none})"
