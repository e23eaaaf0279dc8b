package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.worker.builder.TestBases;

/**
 * S3 refusing for good is no outage: with a staging bucket that does not exist, a request fails at
 * once with STORAGE_REFUSED naming the bucket and S3's code, instead of waiting forever (or being
 * dead-lettered without a word to the build's owner).
 */
@QuarkusTest
@TestProfile(StagingRefusedTest.MissingBucket.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class StagingRefusedTest extends WorkerKafkaTest {

    static final String MISSING_BUCKET = "byoos-no-such-staging-bucket";
    private static final Duration QUIET = Duration.ofSeconds(2);

    public static class MissingBucket implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.s3.staging-bucket", MISSING_BUCKET);
        }
    }

    @Test
    void aBucketS3DoesNotHaveFailsTheBuildAtOnceNamingTheBucketAndTheS3Code() {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, TestBases.BUSYBOX), UUID.randomUUID().toString());

        BuildFailed failed = awaitFailure(buildId);
        assertEquals("STORAGE_REFUSED", failed.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
        assertFalse(failed.retryable());
        assertTrue(failed.reason().contains("bucket " + MISSING_BUCKET) && failed.reason().contains("NoSuchBucket"),
                failed.reason());
        awaitAcknowledged(buildId);
        assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET));
    }
}
