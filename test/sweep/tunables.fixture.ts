// Forked by test/sweep/trainer-env.test.ts: reports the GLIBC_TUNABLES this process started with.
process.send!(process.env.GLIBC_TUNABLES ?? null);
process.disconnect();
