package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.minio.MinioAsyncClient;
import io.minio.MinioClient;

import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.storage.StagingStore;

/** The build lease against the test stack's real S3 endpoint (S3Proxy): who holds a build, and when that changes. */
class BuildLeasesTest {

    private static final Duration DURATION = Duration.ofMinutes(1);
    private static final Duration RENEWAL_INTERVAL = Duration.ofSeconds(15);
    private static MinioClient s3;
    private static MinioAsyncClient parts;
    private static StagingStore staging;

    @BeforeAll
    static void connect() {
        Endpoints endpoints = TestStack.endpoints();
        s3 = MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build();
        parts = MinioAsyncClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build();
        staging = new StagingStore(s3, parts, endpoints.s3StagingBucket());
    }

    private static BuildLeases worker(String name) {
        return worker(name, Clock.systemUTC());
    }

    /** A worker whose clock runs {@code ahead} of the others: for it, their leases expire that much sooner. */
    private static BuildLeases worker(String name, Clock clock) {
        return new BuildLeases(staging, name, DURATION, RENEWAL_INTERVAL, clock);
    }

    private static Clock ahead(Duration by) {
        return Clock.fixed(Instant.now().plus(by), ZoneOffset.UTC);
    }

    private static BuildLease acquire(BuildLeases leases, String buildId) {
        return assertInstanceOf(BuildLeases.Acquired.class, leases.tryAcquire(buildId, 0)).lease();
    }

    @Test
    void ofWorkersRacingForOneBuildIdExactlyOneHoldsItAndTheOthersSeeItsAttempt() throws Exception {
        int workers = 4;
        ExecutorService threads = Executors.newFixedThreadPool(workers);
        try {
            for (int round = 0; round < 5; round++) {
                String buildId = UUID.randomUUID().toString();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<BuildLeases.Acquisition>> results = new ArrayList<>();
                for (int i = 0; i < workers; i++) {
                    BuildLeases leases = worker("racer-" + i);
                    results.add(threads.submit(() -> {
                        start.await();
                        return leases.tryAcquire(buildId, 0);
                    }));
                }
                start.countDown();
                List<BuildLease> holders = new ArrayList<>();
                List<LeaseClaim> seen = new ArrayList<>();
                for (Future<BuildLeases.Acquisition> result : results) {
                    BuildLeases.Acquisition acquisition = result.get();
                    if (acquisition instanceof BuildLeases.Acquired acquired) {
                        holders.add(acquired.lease());
                    } else {
                        seen.add(assertInstanceOf(BuildLeases.Held.class, acquisition).holder());
                    }
                }
                assertEquals(1, holders.size(), "one holder in round " + round);
                long attempt = holders.get(0).attempt();
                assertTrue(seen.stream().allMatch(holder -> holder.attempt() == attempt), "the others see the holder");
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aRequestContradictingTheOneAnEarlierAttemptBuiltIsRefusedWhetherThatAttemptLivesOrEnded() {
        String buildId = UUID.randomUUID().toString();
        String real = "a".repeat(64);
        String forged = "b".repeat(64);
        BuildLease first = assertInstanceOf(BuildLeases.Acquired.class, worker("first").tryAcquire(buildId, 0, real))
                .lease();

        BuildLeases.Contradicted whileLive = assertInstanceOf(BuildLeases.Contradicted.class,
                worker("second").tryAcquire(buildId, 0, forged));
        assertEquals(first.attempt(), whileLive.earlier().attempt());
        assertInstanceOf(BuildLeases.Held.class, worker("second").tryAcquire(buildId, 0, real),
                "the same request waits for the live attempt as before");

        first.confirm();
        worker("first").release(first);
        assertInstanceOf(BuildLeases.Contradicted.class, worker("third").tryAcquire(buildId, 0, forged),
                "an ended attempt still names the build's request");
        assertInstanceOf(BuildLeases.Acquired.class, worker("third").tryAcquire(buildId, 0, real));
    }

    @Test
    void aLiveHolderIsLeftAloneByALaterClaimant() {
        String buildId = UUID.randomUUID().toString();
        BuildLease first = acquire(worker("first"), buildId);

        BuildLeases.Held held = assertInstanceOf(BuildLeases.Held.class, worker("second").tryAcquire(buildId, 0));

        assertEquals(first.attempt(), held.holder().attempt());
        first.confirm();
        assertFalse(first.lost());
    }

    @Test
    void aStaleLeaseIsTakenOverWithAHigherAttemptAndItsHolderCanNoLongerConfirm() {
        String buildId = UUID.randomUUID().toString();
        BuildLease crashed = acquire(worker("crashed"), buildId);

        // One lease duration later, nobody having renewed it:
        BuildLease successor = acquire(worker("successor", ahead(DURATION.plusSeconds(1))), buildId);

        assertTrue(successor.attempt() > crashed.attempt(), "the fencing token grows");
        LeaseLostException refused = assertThrows(LeaseLostException.class, crashed::confirm);
        assertTrue(refused.getMessage().contains("attempt " + successor.attempt()), refused.getMessage());
        assertTrue(crashed.lost());
        assertThrows(LeaseLostException.class, crashed::confirm, "lost for good");
    }

    @Test
    void theReleaseOfALostLeaseLeavesTheNewHolderAlone() {
        String buildId = UUID.randomUUID().toString();
        BuildLeases leases = worker("crashed");
        BuildLease crashed = acquire(leases, buildId);
        BuildLease successor = acquire(worker("successor", ahead(DURATION.plusSeconds(1))), buildId);
        assertThrows(LeaseLostException.class, crashed::confirm);

        leases.release(crashed);

        BuildLeases.Held held = assertInstanceOf(BuildLeases.Held.class, worker("third").tryAcquire(buildId, 0));
        assertEquals(successor.attempt(), held.holder().attempt());
    }

    @Test
    void aDeliveryThatWaitedForAnAttemptIsDoneWhenItEndsAndALaterDeliveryGetsTheNextAttempt() {
        String buildId = UUID.randomUUID().toString();
        BuildLeases first = worker("first");
        BuildLease lease = acquire(first, buildId);
        BuildLeases waiting = worker("waiting");
        long waitedFor = assertInstanceOf(BuildLeases.Held.class, waiting.tryAcquire(buildId, 0)).holder().attempt();

        first.release(lease);

        assertInstanceOf(BuildLeases.Ended.class, waiting.tryAcquire(buildId, waitedFor));
        assertEquals(lease.attempt() + 1, acquire(worker("later"), buildId).attempt());
    }

    /** Counts the claims read back from S3 (a round trip per claim and per look), the writes and the listings. */
    private static final class CountingReads extends StagingStore {

        final List<String> reads = new ArrayList<>();
        final List<String> writes = new ArrayList<>();
        final List<String> listings = new ArrayList<>();

        CountingReads() {
            super(s3, parts, staging.bucket());
        }

        @Override
        public Optional<String> getText(String key, int maxBytes) {
            reads.add(key);
            return super.getText(key, maxBytes);
        }

        @Override
        public Upload put(String key, byte[] bytes, String contentType) {
            writes.add(key);
            return super.put(key, bytes, contentType);
        }

        @Override
        public List<String> list(String prefix) {
            listings.add(prefix);
            return super.list(prefix);
        }
    }

    @Test
    void aFenceWithinTheRenewalIntervalOfTheClaimsLastWriteListsTheClaimsButWritesNothing() {
        String buildId = UUID.randomUUID().toString();
        CountingReads store = new CountingReads();
        BuildLease lease = acquire(new BuildLeases(store, "fenced", DURATION, RENEWAL_INTERVAL, Clock.systemUTC()),
                buildId);
        store.writes.clear();
        store.listings.clear();

        lease.confirm();
        assertEquals(List.of(), store.writes, "the claim just written is not written again");
        assertEquals(1, store.listings.size(), "a later attempt is looked for all the same");

        // As if written a second more than the renewal interval ago: it expires that much sooner.
        lease.update(lease.claim().with(LeaseClaim.State.HELD,
                Instant.now().plus(DURATION).minus(RENEWAL_INTERVAL).minusSeconds(1).toEpochMilli()));
        lease.confirm();
        assertEquals(1, store.writes.size(), "a claim written longer ago than the renewal interval is renewed");

        lease.renew();
        assertEquals(2, store.writes.size(), "the heartbeat renews however recent the claim");
        assertFalse(lease.lost());
    }

    @Test
    void theLeaseSaysWhetherTheBuildsCompletionWasRecordedWhenItWasTaken() {
        String buildId = UUID.randomUUID().toString();
        BuildLeases leases = worker("first");
        BuildLease first = acquire(leases, buildId);
        assertFalse(first.completionRecorded());
        staging.putText(BuildOutputs.completionKey(buildId), "{}");
        leases.release(first);

        assertTrue(acquire(worker("redelivered"), buildId).completionRecorded());
    }

    @Test
    void noClaimIsReadBackThatThisWorkerWroteOrThatAnEarlierLookSawEnded() {
        String buildId = UUID.randomUUID().toString();
        CountingReads firstReads = new CountingReads();
        BuildLeases first = new BuildLeases(firstReads, "first", DURATION, RENEWAL_INTERVAL, Clock.systemUTC());
        BuildLease lease = acquire(first, buildId);
        lease.confirm();
        first.release(lease);
        CountingReads laterReads = new CountingReads();

        BuildLease later = acquire(new BuildLeases(laterReads, "later", DURATION, RENEWAL_INTERVAL,
                Clock.systemUTC()), buildId);

        assertEquals(List.of(), firstReads.reads, "its own claim, as it wrote it");
        assertEquals(1, laterReads.reads.size(), "the released claim once, its own never: " + laterReads.reads);
        assertEquals(lease.attempt() + 1, later.attempt());
    }

    @Test
    void aClaimFarLargerThanAnyWorkerWritesIsNotReadAndCountsOnlyAsAnAttemptTaken() {
        String buildId = UUID.randomUUID().toString();
        // Written by something with the staging bucket's credentials that is no worker: a worker reading
        // it whole (gigabytes, say) would die of it, and so would every worker the request went to next.
        staging.put("builds/" + buildId + "/lease/0000000001/" + UUID.randomUUID() + ".json",
                ("{\"pad\":\"" + "x".repeat(BuildLeases.MAX_CLAIM_BYTES) + "\"}").getBytes(StandardCharsets.UTF_8),
                "application/json");

        BuildLease lease = acquire(worker("next"), buildId);

        assertEquals(2, lease.attempt(), "the oversized claim's attempt is taken, its content ignored");
        String ownClaim = staging.list("builds/" + buildId + "/lease/0000000002/").get(0);
        assertTrue(staging.getText(ownClaim, BuildLeases.MAX_CLAIM_BYTES).isPresent());
        assertThrows(StagingStore.OversizedObjectException.class, () -> staging.getText(ownClaim, 10),
                "a reader's bound holds for any object");
    }

    @Test
    void aBuildIdThatCouldNameOtherKeysIsRefused() {
        for (String buildId : List.of("../other", "a/b", "..", "")) {
            BuildException refused = assertThrows(BuildException.class, () -> worker("w").tryAcquire(buildId, 0),
                    buildId);
            assertEquals("BUILD_ID_INVALID", refused.code());
            assertEquals(BuildException.Kind.BAD_INPUT, refused.kind());
        }
    }
}
