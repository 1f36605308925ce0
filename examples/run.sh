#!/usr/bin/env bash
# The README's main job: the bundled example config repo, run the way a user would.
# Every key under examples/keys is a PUBLIC THROWAWAY TEST KEY.
set -euo pipefail
cd "$(dirname "$0")/.."
secrets() { node packages/cli/bin/secrets.js "$@"; }

host_pub=examples/keys/hosts/batchn_ssh_host_ed25519_key.pub
host_key=examples/keys/hosts/batchn_ssh_host_ed25519_key

echo "== 1. the host batchn's SSH host key, as an age recipient for .sops.yaml"
echo "\$ secrets ssh-to-age -i $host_pub"
secrets ssh-to-age -i "$host_pub"
echo

echo "== 2. ssh-keyscan style input: several hosts and key types (non-ed25519 keys are skipped)"
# What `ssh-keyscan batchn` prints: a comment line, then one line per host key.
keyscan="# batchn:22 SSH-2.0-OpenSSH_9.8
batchn $(cut -d' ' -f1,2 examples/keys/hosts/batchn_ssh_host_rsa_key.pub)
batchn $(cut -d' ' -f1,2 "$host_pub")"
echo "\$ ssh-keyscan batchn | secrets ssh-to-age"
printf '%s\n' "$keyscan" | secrets ssh-to-age
echo

echo "== 3. the host's private key as an age identity (what sops-nix derives at activation)"
echo "\$ secrets ssh-to-age --private-key -i $host_key | cut -c1-20"
secrets ssh-to-age --private-key -i "$host_key" | cut -c1-20
echo "(truncated: it is a secret key, even if this one is a throwaway)"
echo

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
admin_key=examples/keys/admin_michael.agekey
admin_recipient=$(grep -o 'age1[a-z0-9]*' "$admin_key" | head -1)

echo "== 4. an age file for the admin (age1…) and the host (its SSH key, natively, as agenix does)"
echo "\$ echo 'wifi password' | secrets age encrypt -a -r $admin_recipient -R $host_pub"
echo 'wifi password' | secrets age encrypt -a -r "$admin_recipient" -R "$host_pub" -o "$work/wifi.age"
head -3 "$work/wifi.age"; echo "…"
echo

echo "== 5. the host opens it with its SSH host key, found the way sops finds keys"
echo "\$ SOPS_AGE_SSH_PRIVATE_KEY_FILE=$host_key secrets age decrypt wifi.age"
SOPS_AGE_SSH_PRIVATE_KEY_FILE="$host_key" secrets age decrypt "$work/wifi.age"
echo

echo "== 6. the same host key also opens files sent to its ssh-to-age recipient (sops-nix style);"
echo "      plain age cannot do that"
host_recipient=$(secrets ssh-to-age -i "$host_pub")
echo 'db password' | secrets age encrypt -r "$host_recipient" -o "$work/db.age"
echo "\$ SOPS_AGE_SSH_PRIVATE_KEY_FILE=$host_key secrets age decrypt db.age"
SOPS_AGE_SSH_PRIVATE_KEY_FILE="$host_key" secrets age decrypt "$work/db.age"
echo

echo "== 7. the sops file of the sops-nix article, encrypted for the admin and the host by .sops.yaml"
echo "\$ SOPS_AGE_KEY_FILE=$admin_key secrets decrypt examples/batchn/secrets/example.yaml"
SOPS_AGE_KEY_FILE="$admin_key" secrets decrypt examples/batchn/secrets/example.yaml
echo

echo "== 8. the host reads one value with nothing but its SSH host key (as sops-nix does at activation)"
echo "\$ SOPS_AGE_SSH_PRIVATE_KEY_FILE=$host_key secrets decrypt --extract '[\"hello\"]' examples/batchn/secrets/example.yaml"
SOPS_AGE_SSH_PRIVATE_KEY_FILE="$host_key" secrets decrypt --extract '["hello"]' examples/batchn/secrets/example.yaml
echo; echo

echo "== 9. onboarding a second host: the sops-nix article's steps as three commands (in a scratch copy)"
story="$work/repo"
mkdir -p "$story/batchn/secrets" "$story/hosts"
cp .sops.yaml "$story/.sops.yaml"
sed -i 's#\^examples/batchn#^batchn#' "$story/.sops.yaml"
cp "$story/.sops.yaml" "$work/sops.yaml.before"
cp examples/batchn/secrets/example.yaml "$story/batchn/secrets/"
# The new host's key pair: only its public half belongs in the repository.
ssh-keygen -q -t ed25519 -N '' -C 'nuc-THROWAWAY-TEST-HOST-KEY' -f "$work/nuc_ssh_host_ed25519_key"
cp "$work/nuc_ssh_host_ed25519_key.pub" "$story/hosts/"
cli="$PWD/packages/cli/bin/secrets.js"
(
  cd "$story"
  echo "\$ secrets hosts add nuc --pubkey hosts/nuc_ssh_host_ed25519_key.pub --no-rekey"
  node "$cli" hosts add nuc --pubkey hosts/nuc_ssh_host_ed25519_key.pub --no-rekey
  echo "\$ git diff .sops.yaml   (one line under keys:, one in the rule)"
  diff -u "$work/sops.yaml.before" .sops.yaml | grep '^[+-] ' || true
  echo "\$ secrets rekey -y"
  SOPS_AGE_KEY_FILE="$OLDPWD/$admin_key" node "$cli" rekey -y
  echo "\$ SOPS_AGE_SSH_PRIVATE_KEY_FILE=/etc/ssh/ssh_host_ed25519_key secrets decrypt --extract '[\"example_key\"]' batchn/secrets/example.yaml   (on nuc)"
  SOPS_AGE_SSH_PRIVATE_KEY_FILE="$work/nuc_ssh_host_ed25519_key" node "$cli" decrypt --extract '["example_key"]' batchn/secrets/example.yaml
  echo; echo "\$ secrets check"
  node "$cli" check
  echo
  echo "\$ (remove the admin from the rule in .sops.yaml) && secrets rekey -y --rotate"
  sed -i '/^ *- \*admin_michael$/d' .sops.yaml
  SOPS_AGE_KEY_FILE="$OLDPWD/$admin_key" node "$cli" rekey -y --rotate | grep -E '^(  ---|  \+\+\+)' || true
  echo "\$ SOPS_AGE_KEY_FILE=admin_michael.agekey secrets decrypt batchn/secrets/example.yaml   (the old admin key)"
  SOPS_AGE_KEY_FILE="$OLDPWD/$admin_key" HOME="$work" node "$cli" decrypt batchn/secrets/example.yaml 2>&1 | head -1 || true
  echo "\$ secrets decrypt ...   (as nuc, still fine)"
  SOPS_AGE_SSH_PRIVATE_KEY_FILE="$work/nuc_ssh_host_ed25519_key" node "$cli" decrypt --extract '["hello"]' batchn/secrets/example.yaml; echo
)
echo

echo "== 10. the same secrets for agenix hosts: .age files and secrets.nix from the same .sops.yaml"
mkdir -p "$work/agenix-repo" && cp -r .sops.yaml examples "$work/agenix-repo/"
(
  cd "$work/agenix-repo"
  echo "\$ secrets agenix export --all --out secrets/agenix examples/batchn/secrets/example.yaml"
  SOPS_AGE_KEY_FILE="$admin_key" node "$cli" agenix export --all --out secrets/agenix examples/batchn/secrets/example.yaml
  echo "\$ cat secrets/agenix/secrets.nix"
  cat secrets/agenix/secrets.nix
  echo "\$ age -d -i /etc/ssh/ssh_host_ed25519_key secrets/agenix/example/hello.age   (on batchn, as agenix does)"
  if command -v age >/dev/null 2>&1; then age -d -i "$host_key" secrets/agenix/example/hello.age; else node "$cli" agenix decrypt -i "$host_key" secrets/agenix/example/hello.age; fi
  echo; echo "\$ cd secrets/agenix && secrets agenix rekey --dry-run   (nothing to do: every file matches its rule)"
  cd secrets/agenix && node "$cli" agenix rekey --dry-run
)
echo

echo "== 11. and when a key cannot open a file, you are told exactly why"
echo "\$ SOPS_AGE_KEY_FILE=$admin_key secrets age decrypt db.age"
SOPS_AGE_KEY_FILE="$admin_key" HOME="$work" secrets age decrypt "$work/db.age" || echo "(exit status $?)"
