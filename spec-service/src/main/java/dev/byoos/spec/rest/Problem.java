package dev.byoos.spec.rest;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.byoos.spec.validation.Violation;

/** An RFC 9457 problem details body ({@code application/problem+json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance,
        List<Violation> violations) {

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String TYPE_BASE = "https://byoos.dev/problems/";

    public static Problem invalidSpec(String instance, List<Violation> violations) {
        return new Problem(TYPE_BASE + "invalid-spec", "The image spec was rejected", 400,
                violations.size() + " violation(s); nothing was stored", instance, violations);
    }

    public static Problem of(int status, String slug, String title, String detail, String instance) {
        return new Problem(TYPE_BASE + slug, title, status, detail, instance, null);
    }
}
