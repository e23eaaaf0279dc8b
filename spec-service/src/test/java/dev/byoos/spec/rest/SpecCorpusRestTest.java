package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

import dev.byoos.spec.validation.InvalidSpecCorpus;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * The invalid-spec corpus through the real REST API and database: every case is refused with its
 * pointer and code, and nothing is written; the pack rules that need the stored history too.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class SpecCorpusRestTest {

    @Inject
    DataSource database;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.byoos.spec.validation.InvalidSpecCorpus#cases")
    void everyInvalidSpecIsRefusedWithItsPointerAndCodeAndNothingIsWritten(String description, String yaml,
            String pointer, String code) throws Exception {
        Map<String, Long> before = rowCounts();
        Response response = submit(yaml);
        assertEquals(400, response.statusCode(), description + ": " + response.asString());
        List<Map<String, String>> violations = response.jsonPath().getList("violations");
        assertTrue(violations.stream().anyMatch(v -> pointer.equals(v.get("pointer")) && code.equals(v.get("code"))),
                () -> "expected " + code + " at " + pointer + " but got " + violations);
        assertEquals(before, rowCounts(), "nothing may be written for a rejected spec");
    }

    @Test
    void aNewSpecVersionKeepsItsPackNameAndDisplayNameAndBumpsThePackVersion() throws Exception {
        String name = "pack-rules-" + System.nanoTime();
        String first = InvalidSpecCorpus.FULL.replace("name: full", "name: " + name);
        assertEquals(201, submit(first).statusCode());
        Map<String, Long> before = rowCounts();

        Response sameVersion = submit(first.replace("content: hello", "content: changed"));
        assertEquals(400, sameVersion.statusCode(), sameVersion.asString());
        assertEquals(List.of("/spec/pack/version"), sameVersion.jsonPath().getList("violations.pointer"));
        assertEquals(List.of("PACK_CONFLICT"), sameVersion.jsonPath().getList("violations.code"));

        Response renamed = submit(first.replace("content: hello", "content: changed").replace("version: 1.0.0", "version: 1.1.0")
                .replace("name: byoos-full", "name: byoos-other").replace("displayName: Full (BYOOS)", "displayName: Other"));
        assertEquals(400, renamed.statusCode(), renamed.asString());
        assertEquals(List.of("/spec/pack/name", "/spec/pack/displayName"), renamed.jsonPath().getList("violations.pointer"));
        assertEquals(before, rowCounts());

        Response bumped = submit(first.replace("content: hello", "content: changed").replace("version: 1.0.0", "version: 1.1.0"));
        assertEquals(201, bumped.statusCode(), bumped.asString());
        assertEquals(2, bumped.jsonPath().getInt("version"));
    }

    @Test
    void aSpecWhoseBuildRequestWouldNotFitInAKafkaRecordIsRefusedAndNothingIsWritten() throws Exception {
        // Under the 1 MiB body limit as YAML, over a Kafka record once its quotes are JSON-escaped:
        // accepted before, its build request failed the outbox relay on every pass for good.
        String quotes = "\"".repeat(200_000);
        String files = "    files:\n" + "      - path: /etc/q1\n        content: '" + quotes + "'\n"
                + "      - path: /etc/q2\n        content: '" + quotes + "'\n"
                + "      - path: /etc/q3\n        content: '" + quotes + "'\n";
        String yaml = InvalidSpecCorpus.FULL.replace("name: full", "name: oversized-" + System.nanoTime())
                .replace("    files:\n", files);
        Map<String, Long> before = rowCounts();

        Response response = submit(yaml);

        assertEquals(400, response.statusCode(), response.asString());
        assertEquals(List.of("/spec/customizations"), response.jsonPath().getList("violations.pointer"));
        assertEquals(List.of("TOO_LARGE"), response.jsonPath().getList("violations.code"));
        assertEquals(before, rowCounts(), "nothing may be written for a rejected spec");
    }

    private static Response submit(String yaml) {
        return given().header("Authorization", TestTokens.bearer("corpus-test", "submitter", "platform"))
                .contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8)).when()
                .post("/api/v1/specs");
    }

    private Map<String, Long> rowCounts() throws Exception {
        return Map.of("image_spec", count("image_spec"), "build", count("build"), "outbox", count("outbox"),
                "idempotency_key", count("idempotency_key"));
    }

    private long count(String table) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
