package dev.byoos.contract;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic CloudEvent ids. A stage that re-emits its output after a redelivery uses the same
 * id, so consumers that record processed ids see a duplicate, not a second event.
 */
public final class EventIds {

    private EventIds() {
    }

    public static String forStage(String buildId, String eventType) {
        return UUID.nameUUIDFromBytes((buildId + "|" + eventType).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
