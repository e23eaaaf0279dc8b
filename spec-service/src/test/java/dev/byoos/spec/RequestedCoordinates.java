package dev.byoos.spec;

import java.time.Duration;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.KafkaTestClient;

/**
 * The coordinates a build was requested with, as spec-service published them: every later stage's
 * event must carry exactly these, or spec-service dead-letters it as contradicting the build's record.
 */
public final class RequestedCoordinates {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RequestedCoordinates() {
    }

    public static BuildCoordinates of(KafkaTestClient kafka, String buildId) {
        String request = kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT).get(0).value();
        return EventJson.read(request, BuildRequested.class).build();
    }
}
