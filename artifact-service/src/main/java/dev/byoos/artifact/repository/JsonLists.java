package dev.byoos.artifact.repository;

import java.util.List;

import jakarta.persistence.AttributeConverter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Lists of small records stored as JSON text in one column: they are always read with their
 * artifact and never queried by their parts. A mapper of their own keeps the stored form
 * independent of how the REST layer's ObjectMapper is configured.
 */
public final class JsonLists {

    /**
     * Unknown fields are ignored: a row a newer version wrote (a record with a field added) must
     * still read here, or every read of that artifact, and every retention run that meets it, fails.
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private JsonLists() {
    }

    abstract static class ListConverter<T> implements AttributeConverter<List<T>, String> {

        private final TypeReference<List<T>> type;

        ListConverter(TypeReference<List<T>> type) {
            this.type = type;
        }

        @Override
        public String convertToDatabaseColumn(List<T> values) {
            try {
                return MAPPER.writeValueAsString(values == null ? List.of() : values);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("records of plain strings always serialize", e);
            }
        }

        @Override
        public List<T> convertToEntityAttribute(String json) {
            try {
                return json == null ? List.of() : List.copyOf(MAPPER.readValue(json, type));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("artifact column holds no JSON list: " + e.getOriginalMessage(), e);
            }
        }
    }

    public static final class Inputs extends ListConverter<ArtifactEntity.Input> {
        public Inputs() {
            super(new TypeReference<>() {
            });
        }
    }

    public static final class CloudImages extends ListConverter<ArtifactEntity.CloudImage> {
        public CloudImages() {
            super(new TypeReference<>() {
            });
        }
    }
}
