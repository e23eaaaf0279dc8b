package dev.byoos.spec.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.repository.ScheduleStore;
import dev.byoos.spec.repository.ScheduleStore.SpecSchedule;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/** Spec schedules on the real database: the API, its scoping, the claim across replicas, a firing. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class SpecScheduleTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String SUBMITTER = NextPackVersionRebuildsTest.SUBMITTER;
    static final String VIEWER = TestTokens.bearer("schedule-viewer", "viewer", "platform");
    static final String OTHER_TEAM = TestTokens.bearer("schedule-outsider", "submitter", "team-b");
    static final String DAILY = "{\"cron\":\"0 3 * * *\",\"timeZone\":\"Europe/Berlin\"}";

    @Inject
    SpecSchedules schedules;

    @Inject
    ScheduleStore store;

    @Inject
    DataSource database;

    private static String specName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static ValidatableResponse create(String token, String spec, String body) {
        return given().header("Authorization", token).contentType("application/json").body(body)
                .post("/api/v1/specs/" + spec + "/schedules?team=platform").then();
    }

    private static ValidatableResponse post(String token, String spec, String id, String action) {
        return given().header("Authorization", token)
                .post("/api/v1/specs/" + spec + "/schedules/" + id + "/" + action + "?team=platform").then();
    }

    /** A spec with a patch policy and a daily schedule, as stored. */
    private SpecSchedule dailySchedule(String spec) throws Exception {
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(spec, "patch"));
        create(SUBMITTER, spec, DAILY).statusCode(201);
        return store.list("platform", spec).await().atMost(TIMEOUT).get(0);
    }

    @Test
    void aSubmitterCreatesPausesResumesAndDeletesAViewerReadsAndOtherTeamsAreRefused() throws Exception {
        String spec = specName("sched");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(spec, "patch"));

        String id = create(SUBMITTER, spec, DAILY).statusCode(201).body("paused", equalTo(false))
                .body("cron", equalTo("0 3 * * *")).body("timeZone", equalTo("Europe/Berlin"))
                .extract().path("id");
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/schedules?team=platform").then()
                .statusCode(200).body("id", equalTo(List.of(id)));
        create(VIEWER, spec, DAILY).statusCode(403);
        post(VIEWER, spec, id, "pause").statusCode(403);
        given().header("Authorization", OTHER_TEAM).get("/api/v1/specs/" + spec + "/schedules?team=platform").then()
                .statusCode(403);
        post(OTHER_TEAM, spec, id, "pause").statusCode(403);
        given().header("Authorization", OTHER_TEAM).delete("/api/v1/specs/" + spec + "/schedules/" + id + "?team=platform")
                .then().statusCode(403);
        // Another of the team's specs does not reach this schedule.
        post(SUBMITTER, "another-spec", id, "pause").statusCode(404);

        post(SUBMITTER, spec, id, "pause").statusCode(200).body("paused", equalTo(true));
        post(SUBMITTER, spec, id, "resume").statusCode(200).body("paused", equalTo(false));
        given().header("Authorization", SUBMITTER).delete("/api/v1/specs/" + spec + "/schedules/" + id + "?team=platform")
                .then().statusCode(204);
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/schedules?team=platform").then()
                .statusCode(200).body("size()", equalTo(0));
        post(SUBMITTER, spec, id, "resume").statusCode(404);
    }

    @Test
    void whatCannotBeScheduledIsRefusedSayingWhy() throws Exception {
        String spec = specName("sched-bad");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(spec, "minor"));
        String unpolicied = specName("sched-none");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(unpolicied, null));

        create(SUBMITTER, unpolicied, DAILY).statusCode(409).contentType("application/problem+json")
                .body("type", containsString("no-version-policy")).body("detail", containsString("versionPolicy"));
        create(SUBMITTER, "no-such-spec", DAILY).statusCode(404);
        create(SUBMITTER, spec, "{\"cron\":\"0 3 * *\",\"timeZone\":\"UTC\"}").statusCode(400)
                .body("detail", containsString("5-field"));
        create(SUBMITTER, spec, "{\"cron\":\"0 3 * * *\",\"timeZone\":\"Mars/Olympus\"}").statusCode(400)
                .body("detail", containsString("IANA"));
        create(SUBMITTER, spec, "{\"cron\":\"0,30 3 * * *\",\"timeZone\":\"UTC\"}").statusCode(400)
                .body("detail", containsString("min-interval"));
        create(SUBMITTER, spec, "{\"cron\":\"0 3 30 2 *\",\"timeZone\":\"UTC\"}").statusCode(400)
                .body("detail", containsString("never fires"));
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/schedules?team=platform").then()
                .statusCode(200).body("size()", equalTo(0));
    }

    @Test
    void aDueFiringIsClaimedByExactlyOneOfTwoRacingTickers() throws Exception {
        String spec = specName("sched-race");
        SpecSchedule due = dailySchedule(spec);
        Instant now = due.nextFireAt().toInstant().plusSeconds(60);

        var claims = Uni.combine().all().unis(schedules.claim(due, now), schedules.claim(due, now)).asTuple()
                .await().atMost(TIMEOUT);
        assertEquals(1, (claims.getItem1() ? 1 : 0) + (claims.getItem2() ? 1 : 0), claims.toString());
        SpecSchedule claimed = store.list("platform", spec).await().atMost(TIMEOUT).get(0);
        assertEquals(due.nextFireAt().plusDays(1).toInstant(), claimed.nextFireAt().toInstant());
        assertEquals(false, schedules.claim(due, now).await().atMost(TIMEOUT), "a firing once claimed stays claimed");
    }

    @Test
    void aFiringMakesTheNextSpecVersionWithThePatchedPackAndAScheduleBuildOnce() throws Throwable {
        String spec = specName("sched-fire");
        SpecSchedule due = dailySchedule(spec);
        Instant now = due.nextFireAt().toInstant().plusSeconds(60);

        assertTrue(NextPackVersionRebuildsTest.onContext(() -> schedules.fireDue(now)) >= 1);
        NextPackVersionRebuildsTest.onContext(() -> schedules.fireDue(now));

        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform").then()
                .statusCode(200).body("document.spec.pack.version", equalTo("1.0.1"))
                .body("builds[0].trigger", equalTo("schedule"));
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/3?team=platform").then()
                .statusCode(404);
        assertEquals("spec version 2, pack 1.0.1",
                store.list("platform", spec).await().atMost(TIMEOUT).get(0).lastOutcome());
    }

    @Test
    void aStoredScheduleThatCannotFireIsPausedSayingWhyAndTheOnesBehindItStillFire() throws Throwable {
        String broken = specName("sched-broken");
        SpecSchedule unreadable = dailySchedule(broken);
        String behind = specName("sched-behind");
        SpecSchedule due = dailySchedule(behind);
        // As an image with other time-zone data could have stored it, and due before the other one.
        try (Connection connection = database.getConnection();
                PreparedStatement update = connection.prepareStatement("update spec_schedule set time_zone ="
                        + " 'Mars/Olympus_Mons', next_fire_at = next_fire_at - interval '1 day' where id = ?")) {
            update.setObject(1, unreadable.id());
            assertEquals(1, update.executeUpdate());
        }
        Instant now = due.nextFireAt().toInstant().plusSeconds(60);

        assertTrue(NextPackVersionRebuildsTest.onContext(() -> schedules.fireDue(now)) >= 1);

        SpecSchedule paused = store.list("platform", broken).await().atMost(TIMEOUT).get(0);
        assertTrue(paused.paused(), "paused, so it is no longer due on every tick");
        assertTrue(paused.lastOutcome().contains("Mars/Olympus_Mons is not an IANA time zone"), paused.lastOutcome());
        assertEquals("spec version 2, pack 1.0.1", store.list("platform", behind).await().atMost(TIMEOUT).get(0)
                .lastOutcome(), "the schedule behind it fired");
        post(SUBMITTER, broken, unreadable.id().toString(), "resume").statusCode(400)
                .body("detail", containsString("Mars/Olympus_Mons"));
    }

    @Test
    void runNowBuildsTheNextPackVersionAtOnceLeavesTheTimesAloneAndIsTheTeamsOwn() throws Exception {
        String spec = specName("sched-now");
        SpecSchedule daily = dailySchedule(spec);

        post(OTHER_TEAM, spec, daily.id().toString(), "runs").statusCode(403);
        post(VIEWER, spec, daily.id().toString(), "runs").statusCode(403);
        post(SUBMITTER, spec, UUID.randomUUID().toString(), "runs").statusCode(404);
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform").then()
                .statusCode(404);

        post(SUBMITTER, spec, daily.id().toString(), "runs").statusCode(202)
                .body("version", equalTo(2)).body("builds[0].trigger", equalTo("schedule"));
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform").then()
                .statusCode(200).body("document.spec.pack.version", equalTo("1.0.1"));
        SpecSchedule after = store.list("platform", spec).await().atMost(TIMEOUT).get(0);
        assertEquals(daily.nextFireAt().toInstant(), after.nextFireAt().toInstant(), "its times are unchanged");
        assertTrue(after.lastOutcome().endsWith("spec version 2, pack 1.0.1"), after.lastOutcome());
    }

    @Test
    void aRebuildOnDemandTakesTheNextPackVersionAndNeedsAPolicy() throws Exception {
        String spec = specName("rebuild-now");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(spec, "minor"));
        String unpolicied = specName("rebuild-none");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(unpolicied, null));
        String rebuilds = "/api/v1/specs/%s/rebuilds?team=platform";

        given().header("Authorization", OTHER_TEAM).post(rebuilds.formatted(spec)).then().statusCode(403);
        given().header("Authorization", SUBMITTER).post(rebuilds.formatted(unpolicied)).then().statusCode(409)
                .body("type", containsString("no-version-policy"));
        given().header("Authorization", SUBMITTER).post(rebuilds.formatted(spec)).then().statusCode(202)
                .body("version", equalTo(2)).body("builds[0].trigger", equalTo("manual"));
        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform").then()
                .statusCode(200).body("document.spec.pack.version", equalTo("1.1.0"));
    }
}
