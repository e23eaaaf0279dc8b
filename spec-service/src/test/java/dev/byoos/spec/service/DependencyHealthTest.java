package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.byoos.spec.service.DependencyHealth.Dependency;
import dev.byoos.spec.service.DependencyHealth.Readiness;
import dev.byoos.spec.service.DependencyHealth.Status;

/** How the services' readiness answers become the page's dependency strip. */
class DependencyHealthTest {

    static final String SPEC_READY = """
            {"status":"UP","checks":[{"name":"Reactive PostgreSQL connections health check","status":"UP"},
            {"name":"SmallRye Reactive Messaging - readiness check","status":"UP"}]}""";
    static final String ARTIFACT_WITHOUT_S3 = """
            {"status":"DOWN","checks":[{"name":"s3-buckets","status":"DOWN",
            "data":{"byoos-staging":false,"endpoint":"http://s3.internal:9000"}},
            {"name":"SmallRye Reactive Messaging - readiness check","status":"UP"}]}""";
    static final String PACK_READY = """
            {"status":"UP","checks":[{"name":"oci-registry","status":"UP","data":{"url":"registry.internal"}}]}""";

    @Test
    void aFailedCheckMarksItsServerDownAndItsServiceNotReadyWithoutTheChecksData() {
        Map<String, Dependency> assessed = DependencyHealth.assess(List.of(
                new Readiness("spec-service", 200, SPEC_READY),
                new Readiness("artifact-service", 503, ARTIFACT_WITHOUT_S3),
                new Readiness("pack-publisher", 200, PACK_READY)));

        assertEquals(Status.DOWN, assessed.get("s3").status());
        assertEquals("check 's3-buckets' of artifact-service is down", assessed.get("s3").reason());
        assertEquals(Status.NOT_READY, assessed.get("artifact-service").status());
        assertEquals("not ready: s3-buckets", assessed.get("artifact-service").reason());
        assertEquals(Status.UP, assessed.get("kafka").status());
        assertEquals(Status.UP, assessed.get("postgresql").status());
        assertEquals(Status.UP, assessed.get("registry").status());
        assertEquals(Status.UP, assessed.get("pack-publisher").status());
        assessed.values().forEach(dependency -> assertFalse(String.valueOf(dependency.reason()).contains("internal"),
                "a check's data (internal URLs) never reaches the page: " + dependency));
    }

    @Test
    void aServiceThatDoesNotAnswerIsDownAndWhatOnlyItChecksIsUnknown() {
        Map<String, Dependency> assessed = DependencyHealth.assess(List.of(
                new Readiness("spec-service", 200, SPEC_READY),
                new Readiness("pack-publisher", 0, "java.net.ConnectException: Connection refused"),
                new Readiness("build-worker", 404, "<html>not found</html>")));

        assertEquals(Status.DOWN, assessed.get("pack-publisher").status());
        assertEquals("no answer from its readiness endpoint", assessed.get("pack-publisher").reason());
        assertEquals(Status.DOWN, assessed.get("build-worker").status());
        assertEquals("its readiness endpoint answered HTTP 404", assessed.get("build-worker").reason());
        assertEquals(Status.UNKNOWN, assessed.get("registry").status());
    }

    @Test
    void aRecoveryKeepsTheStatusBeforeAndWhenItChanged() {
        DependencyHealth.Statuses health = new DependencyHealth.Statuses();
        OffsetDateTime first = OffsetDateTime.of(2026, 12, 5, 10, 0, 0, 0, ZoneOffset.UTC);
        health.record(DependencyHealth.assess(List.of(new Readiness("artifact-service", 503, ARTIFACT_WITHOUT_S3))), first);
        health.record(DependencyHealth.assess(List.of(new Readiness("artifact-service", 503, ARTIFACT_WITHOUT_S3))),
                first.plusSeconds(10));
        Dependency down = byName(health, "s3");
        assertEquals(Status.DOWN, down.status());
        assertEquals(first, down.since());
        assertNull(down.previous());
        assertEquals(first.plusSeconds(10), down.checkedAt());

        health.record(DependencyHealth.assess(List.of(new Readiness("artifact-service", 200, SPEC_READY.replace(
                "Reactive PostgreSQL connections health check", "s3-buckets")))), first.plusSeconds(20));
        Dependency recovered = byName(health, "s3");
        assertEquals(Status.UP, recovered.status());
        assertEquals(Status.DOWN, recovered.previous());
        assertEquals(first.plusSeconds(20), recovered.since());
    }

    private static Dependency byName(DependencyHealth.Statuses health, String name) {
        return health.get(name);
    }
}
