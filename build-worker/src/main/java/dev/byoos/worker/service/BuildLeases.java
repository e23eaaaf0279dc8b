package dev.byoos.worker.service;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.byoos.contract.EventJson;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.storage.StagingStore;

/**
 * One attempt at a time per build id, across every worker: a lease in the staging bucket with a
 * fencing token (the attempt number).
 *
 * <p>S3 conditional writes (If-None-Match / If-Match on PUT) would make this a compare-and-swap,
 * but the S3 endpoint of the local stack and the tests, S3Proxy 2.6.0, ignores both headers (every
 * PUT succeeds), so the lease is built from what every S3 endpoint with strong read-after-write
 * and list-after-write consistency does (AWS S3, MinIO, S3Proxy's filesystem store): each claimant
 * writes a claim under a key of its own, {@code builds/<id>/lease/<attempt>/<claim id>.json}, then
 * lists the build's claims. Of two claimants for one attempt number, the one that lists later
 * sees the other's claim, so at most one sees itself alone: only that one holds the attempt. A
 * claimant also loses when a later attempt exists or an earlier one is still live. Losers delete
 * their claim; held attempts stay (as RELEASED when they end, HANDED_BACK when their worker stops
 * them unfinished), so attempt numbers only grow, and a HELD claim that expired is an attempt whose
 * worker died: {@link BuildLease#crashedBefore()} counts them.
 *
 * <p>A held claim expires {@code byoos.worker.lease.duration} after its last renewal; a later
 * claimant then takes the build over with the next attempt number. An attempt that sees a later
 * attempt HELD or RELEASED has lost its lease for good.
 */
@ApplicationScoped
public class BuildLeases {

    private static final Logger LOG = Logger.getLogger(BuildLeases.class);
    /** Build ids become S3 keys: nothing that could name another build's keys ({@code /}, {@code ..}). */
    private static final Pattern BUILD_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    /** A claim is a few hundred bytes of JSON; anything far larger was not written by a worker. */
    static final int MAX_CLAIM_BYTES = 64 * 1024;
    private static final Pattern CLAIM_KEY = Pattern.compile("(\\d{1,18})/([A-Za-z0-9-]+)\\.json");
    /** Longest pause between two looks while claims are being decided (jittered, so claimants fall apart). */
    private static final long CONTENTION_PAUSE_MILLIS = 400;

    /** What {@link #tryAcquire} found. */
    sealed interface Acquisition {
    }

    /** This worker holds the build now. */
    record Acquired(BuildLease lease) implements Acquisition {
    }

    /** A live attempt elsewhere holds the build. */
    record Held(LeaseClaim holder) implements Acquisition {
    }

    /** The attempt this worker waited for (or a later one) ended: it announced the outcome. */
    record Ended(LeaseClaim released) implements Acquisition {
    }

    /**
     * An earlier attempt of the build built another request under the same build id: this one is
     * forged or corrupted (spec-service sends one request per build id, repeated only as it was),
     * and building it would announce an outcome that contradicts the build's record.
     */
    record Contradicted(LeaseClaim earlier) implements Acquisition {
    }

    private final StagingStore staging;
    private final String worker;
    private final Duration duration;
    private final Duration renewalInterval;
    private final Clock clock;

    @Inject
    BuildLeases(StagingStore staging, WorkerConfig config) {
        this(staging, config.instanceName(), config.lease().duration(), config.lease().renewalInterval(),
                Clock.systemUTC());
        if (renewalInterval.compareTo(duration) >= 0) {
            throw new IllegalStateException("byoos.worker.lease.renewal-interval (" + renewalInterval
                    + ") must be shorter than byoos.worker.lease.duration (" + duration
                    + "), or every lease expires before it is renewed");
        }
    }

    /** @param renewalInterval a fence within this time of the claim's last write leaves it as it is */
    BuildLeases(StagingStore staging, String worker, Duration duration, Duration renewalInterval, Clock clock) {
        this.staging = staging;
        this.worker = worker;
        this.duration = duration;
        this.renewalInterval = renewalInterval;
        this.clock = clock;
    }

    /**
     * Takes the build's lease unless a live attempt holds it.
     *
     * @param waitedFor the attempt this worker is waiting for (0 for none): when it, or a later
     *                  one, has ended, the build is left to it ({@link Ended})
     * @throws BuildException BAD_INPUT BUILD_ID_INVALID for a build id that cannot be part of a key;
     *                        INFRASTRUCTURE STORAGE_UNAVAILABLE when S3 fails
     */
    Acquisition tryAcquire(String buildId, long waitedFor) {
        return tryAcquire(buildId, waitedFor, null);
    }

    /**
     * @param request the sha256 of the request's build coordinates: a build whose earlier attempt
     *                recorded another one is {@link Contradicted}; null checks nothing
     */
    Acquisition tryAcquire(String buildId, long waitedFor, String request) {
        requireKeySafe(buildId);
        while (true) {
            Claims before = claims(buildId, Map.of());
            Optional<LeaseClaim> other = before.all().stream()
                    .filter(claim -> request != null && claim.request() != null && !request.equals(claim.request()))
                    .findFirst();
            if (other.isPresent()) {
                return new Contradicted(other.get());
            }
            Instant now = clock.instant();
            Optional<LeaseClaim> ended = before.all().stream()
                    .filter(claim -> waitedFor > 0 && claim.attempt() >= waitedFor
                            && claim.state() == LeaseClaim.State.RELEASED)
                    .findFirst();
            if (ended.isPresent()) {
                return new Ended(ended.get());
            }
            // The latest: an earlier attempt still live here (by this worker's clock) was taken over.
            Optional<LeaseClaim> holder = before.live(now).stream()
                    .filter(claim -> claim.state() == LeaseClaim.State.HELD).reduce((earlier, later) -> later);
            if (holder.isPresent()) {
                return new Held(holder.get());
            }
            if (before.live(now).isEmpty()) {
                LeaseClaim mine = new LeaseClaim(buildId, before.highestAttempt() + 1, worker,
                        UUID.randomUUID().toString(), LeaseClaim.State.CLAIMED, expiry(), request);
                write(mine);
                // Ended claims are never written again, and ours is as we wrote it: only the rest is read again.
                Map<String, LeaseClaim> known = new HashMap<>(before.ended());
                known.put(key(mine), mine);
                Claims after = claims(buildId, known);
                boolean alone = after.highestAttempt() == mine.attempt()
                        && after.live(clock.instant()).stream().allMatch(mine::sameClaim)
                        && after.keysAt(mine.attempt()) == 1;
                if (alone) {
                    LeaseClaim held = mine.with(LeaseClaim.State.HELD, expiry());
                    write(held);
                    Instant decided = clock.instant();
                    int crashed = (int) after.all().stream()
                            .filter(claim -> claim.attempt() < held.attempt() && claim.crashed(decided)).count();
                    LOG.debugf("build %s: attempt %d is this worker's (%d earlier attempts crashed)", buildId,
                            held.attempt(), crashed);
                    return new Acquired(new BuildLease(this, held, crashed, after.completionRecorded()));
                }
                staging.delete(key(mine));
            }
            // Claims are being decided (ours lost, or another claimant is between writing and checking).
            pauseAFew();
        }
    }

    /**
     * The fence: renews the lease unless it was renewed within the last renewal interval, then checks
     * that no later attempt took it over; see {@link BuildLease#confirm()}.
     */
    void confirm(BuildLease lease) {
        check(lease, false);
    }

    /** The heartbeat: renews the lease, then checks that no later attempt took it over. */
    void renew(BuildLease lease) {
        check(lease, true);
    }

    private void check(BuildLease lease, boolean renewNow) {
        // One renewal at a time per lease (heartbeat and build thread), and none after the release.
        synchronized (lease) {
            if (lease.claim().state() != LeaseClaim.State.HELD) {
                return;
            }
            confirmHeld(lease, renewNow);
        }
    }

    private void confirmHeld(BuildLease lease, boolean renewNow) {
        LeaseClaim current = lease.claim();
        if (lease.lost()) {
            throw lost(current, "at an earlier check");
        }
        // Renewed first: a claimant that writes after the check below reads this claim live, and gives
        // way. A claim written within the renewal interval stays live for at least duration - renewal
        // interval past the check, the margin worker clocks must keep anyway: writing it again would
        // only cost a PUT per fence (the heartbeat renews it on its own schedule).
        for (boolean renew = renewNow;; renew = false) {
            if (renew || !recentlyWritten(lease.claim())) {
                LeaseClaim renewal = current.with(LeaseClaim.State.HELD, expiry());
                write(renewal);
                lease.update(renewal);
            }
            LeaseClaim renewed = lease.claim();
            // Our claim is listed or not; its content is what this attempt last wrote.
            Claims claims = claims(current.buildId(), Map.of(key(renewed), renewed));
            Optional<LeaseClaim> later = claims.all().stream()
                    .filter(claim -> claim.attempt() > current.attempt() && claim.state() != LeaseClaim.State.CLAIMED)
                    .findFirst();
            boolean ours = claims.all().stream().anyMatch(renewed::sameClaim);
            if (later.isPresent() || !ours) {
                lease.markLost();
                throw lost(current, later.map(claim -> "attempt " + claim.attempt() + " on " + claim.worker()
                        + " holds it").orElse("its claim is gone"));
            }
            // A later claimant still deciding sees our claim live and gives way; wait until it has.
            boolean deciding = claims.live(clock.instant()).stream()
                    .anyMatch(claim -> claim.attempt() > current.attempt());
            if (!deciding) {
                return;
            }
            pauseAFew();
        }
    }

    /** Marks the attempt ended; a failure is logged, not thrown: the claim expires on its own. */
    void release(BuildLease lease) {
        end(lease, LeaseClaim.State.RELEASED);
    }

    /**
     * Gives the build back unfinished (the worker shuts down): the next claimant takes it over at once
     * instead of waiting for the lease to expire, and counts it neither as an end nor as a crash.
     */
    void handBack(BuildLease lease) {
        end(lease, LeaseClaim.State.HANDED_BACK);
    }

    private void end(BuildLease lease, LeaseClaim.State state) {
        synchronized (lease) {
            if (lease.lost()) {
                return;
            }
            LeaseClaim released = lease.claim().with(state, clock.millis());
            lease.update(released);
            try {
                write(released);
            } catch (RuntimeException e) {
                LOG.warnf("build %s: could not mark attempt %d %s (its lease expires in %s): %s", lease.buildId(),
                        lease.attempt(), state, duration, e.getMessage());
            }
        }
    }

    /**
     * The claims of one build as S3 holds them now; unreadable claims count for their attempt number only.
     *
     * @param completionRecorded whether the build's completion record was listed beside them
     */
    private record Claims(List<LeaseClaim> all, List<String> keys, long highestAttempt, Map<String, LeaseClaim> byKey,
            boolean completionRecorded) {

        List<LeaseClaim> live(Instant now) {
            return all.stream().filter(claim -> claim.live(now)).toList();
        }

        /** RELEASED or HANDED_BACK: their attempts ended, and their workers never write them again. */
        Map<String, LeaseClaim> ended() {
            Map<String, LeaseClaim> ended = new HashMap<>(byKey);
            ended.values().removeIf(claim -> claim.state() != LeaseClaim.State.RELEASED
                    && claim.state() != LeaseClaim.State.HANDED_BACK);
            return ended;
        }

        long keysAt(long attempt) {
            return keys.stream().filter(key -> key.startsWith(attemptDir(attempt))).count();
        }
    }

    /**
     * @param known claims by key whose content cannot have changed since this worker read or wrote
     *              it: each is not read again where its key is listed (one GET less per claim), and
     *              counts for nothing where its key is no longer listed
     */
    private Claims claims(String buildId, Map<String, LeaseClaim> known) {
        String prefix = prefix(buildId);
        Map<String, LeaseClaim> byKey = new HashMap<>();
        List<LeaseClaim> claims = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        long highest = 0;
        boolean completionRecorded = false;
        // The whole build's keys, not only its claims: the same request says whether its completion
        // record exists, so a build without one is spared a read of it (BuildService).
        for (String key : staging.list(BuildOutputs.prefix(buildId))) {
            if (!key.startsWith(prefix)) {
                completionRecorded |= key.equals(BuildOutputs.completionKey(buildId));
                continue;
            }
            var match = CLAIM_KEY.matcher(key.substring(prefix.length()));
            if (!match.matches()) {
                continue;
            }
            long attempt = Long.parseLong(match.group(1));
            highest = Math.max(highest, attempt);
            keys.add(key.substring(prefix.length()));
            Optional<LeaseClaim> claim = known.containsKey(key) ? Optional.of(known.get(key))
                    : readClaim(prefix, key).flatMap(text -> parse(key, text))
                            .filter(read -> read.attempt() == attempt && buildId.equals(read.buildId()));
            claim.ifPresent(present -> {
                claims.add(present);
                byKey.put(key, present);
            });
        }
        claims.sort(Comparator.comparingLong(LeaseClaim::attempt));
        return new Claims(claims, keys, highest, byKey, completionRecorded);
    }

    /**
     * A listed claim's text; empty when it was withdrawn between the listing and the read (a racing
     * worker giving up its claim). S3 answers that read NoSuchKey; S3Proxy's filesystem store answers
     * 500, so a failed read counts as a withdrawal only when the key is no longer listed.
     */
    private Optional<String> readClaim(String prefix, String key) {
        try {
            return staging.getText(key, MAX_CLAIM_BYTES);
        } catch (StagingStore.OversizedObjectException oversized) {
            LOG.warnf("ignoring the lease claim %s: %s", key, oversized.getMessage());
            return Optional.empty();
        } catch (RuntimeException failure) {
            if (!staging.list(prefix).contains(key)) {
                return Optional.empty();
            }
            throw failure;
        }
    }

    private static Optional<LeaseClaim> parse(String key, String text) {
        try {
            LeaseClaim claim = EventJson.read(text, LeaseClaim.class);
            return claim.state() == null || claim.claimId() == null ? Optional.empty() : Optional.of(claim);
        } catch (RuntimeException e) {
            LOG.warnf("ignoring the unreadable lease claim %s: %s", key, e.getMessage());
            return Optional.empty();
        }
    }

    private void write(LeaseClaim claim) {
        staging.putText(key(claim), EventJson.write(claim));
    }

    /** Whether the claim was written (taken or renewed) within the last renewal interval. */
    private boolean recentlyWritten(LeaseClaim claim) {
        return claim.expiresAt() - clock.millis() > duration.minus(renewalInterval).toMillis();
    }

    private long expiry() {
        return clock.instant().plus(duration).toEpochMilli();
    }

    private static LeaseLostException lost(LeaseClaim claim, String why) {
        return new LeaseLostException("build " + claim.buildId() + ": attempt " + claim.attempt()
                + " lost its lease (" + why + ")");
    }

    private static void requireKeySafe(String buildId) {
        if (!BUILD_ID.matcher(buildId).matches() || buildId.contains("..")) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BUILD_ID_INVALID", "build id '" + buildId
                    + "' at /build/buildId cannot name the build's keys in S3 and its scratch directory: letters,"
                    + " digits, '.', '_' and '-' only, at most 128, no '..'", null);
        }
    }

    private static void pauseAFew() {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(CONTENTION_PAUSE_MILLIS / 4, CONTENTION_PAUSE_MILLIS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a build's lease to be decided", e);
        }
    }

    private static String prefix(String buildId) {
        return BuildOutputs.prefix(buildId) + "lease/";
    }

    private static String attemptDir(long attempt) {
        return String.format("%010d/", attempt);
    }

    private static String key(LeaseClaim claim) {
        return prefix(claim.buildId()) + attemptDir(claim.attempt()) + claim.claimId() + ".json";
    }
}
