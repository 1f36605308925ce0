#!/usr/bin/env node
// The installed `secrets` command. A committed shim (not dist/main.js itself) because npm links bins
// before `prepare` builds dist/ on a fresh `npm ci`, and skips links whose target does not exist yet.
import '../dist/main.js';
