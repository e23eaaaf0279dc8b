package dev.byoos.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON mapping of event payloads. Unknown fields are tolerated (a newer producer may add
 * optional fields to a v1 type); missing required fields are not (the records' constructors throw).
 */
public final class EventJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Optional fields are left out rather than written as null: the schemas say "absent".
            .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            .build();

    private EventJson() {
    }

    public static String write(Object event) {
        try {
            return MAPPER.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.getClass().getSimpleName(), e);
        }
    }

    /**
     * Parses an event payload.
     *
     * @throws MalformedEventException when the payload is not valid JSON or misses a required field
     */
    public static <T> T read(String payload, Class<T> type) {
        if (payload == null || payload.isBlank()) {
            throw new MalformedEventException(type.getSimpleName() + ": empty payload", null);
        }
        try {
            return MAPPER.readValue(payload, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            Throwable cause = rootCause(e);
            throw new MalformedEventException(type.getSimpleName() + ": " + cause.getMessage(), e);
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable current = e;
        while (current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current;
    }

    /** A payload that can never be processed: consumers send it to the dead-letter topic. */
    public static final class MalformedEventException extends RuntimeException {
        public MalformedEventException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
