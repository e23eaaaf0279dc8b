package dev.byoos.spec.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.SpecEntity;

/**
 * A spec's stored form: canonical JSON with sorted keys, so its digest does not depend on the
 * submitted field order, and the way back from a stored version to an {@link ImageSpec}.
 */
public final class CanonicalSpecs {

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private CanonicalSpecs() {
    }

    public static String canonicalJson(ImageSpec spec) {
        try {
            return CANONICAL.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a validated spec", e);
        }
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** The spec a stored version holds. */
    static ImageSpec read(SpecEntity spec) {
        return read(spec.id.toString(), spec.document);
    }

    /** The spec a stored document holds; {@code id} names it in the error when it cannot be read. */
    static ImageSpec read(String id, String document) {
        try {
            return CANONICAL.readValue(document, ImageSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored spec " + id + " cannot be read back", e);
        }
    }
}
