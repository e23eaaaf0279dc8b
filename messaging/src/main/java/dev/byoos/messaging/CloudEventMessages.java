package dev.byoos.messaging;

import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.ce.IncomingCloudEventMetadata;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;

/**
 * Builds and reads the pipeline's Kafka messages: CloudEvents in binary mode, keyed by build id
 * (so one build's events stay ordered), with ids that are stable per build and stage.
 */
public final class CloudEventMessages {

    private CloudEventMessages() {
    }

    /** A stage's outcome event for a build; re-announcing it later yields the same CloudEvent id. */
    public static Message<String> forBuild(String buildId, String type, Object payload) {
        return withId(EventIds.forStage(buildId, type), buildId, type, EventJson.write(payload));
    }

    /**
     * An event whose id was fixed earlier (e.g. when it was written to an outbox).
     *
     * @param key the Kafka key and CloudEvent subject: the build id for build events
     */
    public static Message<String> withId(String eventId, String key, String type, String json) {
        return Message.of(json)
                .addMetadata(OutgoingCloudEventMetadata.builder()
                        .withId(eventId)
                        .withType(type)
                        .withSubject(key)
                        .build())
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).build());
    }

    /**
     * @return the message's CloudEvent attributes
     * @throws MalformedEventException when the message is not a CloudEvent of {@code expectedType}
     */
    public static IncomingCloudEventMetadata<?> attributes(Message<String> message, String expectedType) {
        IncomingCloudEventMetadata<?> cloudEvent = message.getMetadata(IncomingCloudEventMetadata.class)
                .orElseThrow(() -> new MalformedEventException("not a CloudEvent (no ce_ headers)", null));
        if (!expectedType.equals(cloudEvent.getType())) {
            throw new MalformedEventException("unexpected CloudEvent type '" + cloudEvent.getType()
                    + "'; this topic carries " + expectedType, null);
        }
        return cloudEvent;
    }

    /**
     * @return the payload of a CloudEvent of {@code expectedType}
     * @throws MalformedEventException when it is not one, or its data is not a valid payload
     */
    public static <T> T read(Message<String> message, String expectedType, Class<T> payloadType) {
        attributes(message, expectedType);
        return EventJson.read(message.getPayload(), payloadType);
    }

    /** @return the Kafka topic {@code message} was read from; empty when it came from no Kafka record */
    public static String topic(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getTopic)
                .orElse("");
    }

    /**
     * What a consumer of several topics fails a record of another topic with: only possible if its
     * channel's topics and its code disagree, and such a record is dead-lettered, never applied.
     */
    public static MalformedEventException unreadTopic(String topic) {
        return new MalformedEventException("a record of topic '" + topic + "', which this consumer does not read", null);
    }
}
