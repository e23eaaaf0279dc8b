package dev.byoos.worker.service;

import java.time.Instant;

/**
 * One worker's claim on one attempt of a build, as stored in the staging bucket
 * ({@code builds/<build id>/lease/<attempt>/<claim id>.json}).
 *
 * @param attempt   the fencing token: strictly increasing per build id
 * @param worker    the instance that wrote it ({@code byoos.worker.instance-name}), for people reading it
 * @param claimId   unique per claim, so that two claims never share a key
 * @param expiresAt epoch milliseconds; a claim not renewed by then may be taken over
 * @param request   the sha256 of the build's coordinates as the claimant's request named them (null in
 *                  claims written before it was recorded): every attempt of a build builds the same request
 */
record LeaseClaim(String buildId, long attempt, String worker, String claimId, State state, long expiresAt,
        String request) {

    enum State {
        /** Written, not yet confirmed as the only claim: a claimant between writing and checking. */
        CLAIMED,
        /** The attempt that runs the build. */
        HELD,
        /** The attempt ended and announced its outcome (or nothing, when cancelled). */
        RELEASED,
        /**
         * The attempt stopped without an outcome because its worker shut down, and gave the build
         * back: not live (the next attempt starts at once), no end of the build, and no crash.
         */
        HANDED_BACK
    }

    /** Whether the claim still counts at {@code now}: held or being decided, and not expired. */
    boolean live(Instant now) {
        return (state == State.CLAIMED || state == State.HELD) && now.toEpochMilli() < expiresAt;
    }

    /** An attempt that held the build and ended without a word: its worker died (killed, OOM, evicted). */
    boolean crashed(Instant now) {
        return state == State.HELD && !live(now);
    }

    LeaseClaim with(State newState, long newExpiresAt) {
        return new LeaseClaim(buildId, attempt, worker, claimId, newState, newExpiresAt, request);
    }

    boolean sameClaim(LeaseClaim other) {
        return other != null && attempt == other.attempt && claimId.equals(other.claimId);
    }
}
