package dev.byoos.spec.validation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Turns a submitted document (YAML or JSON) into a JSON tree, with limits that keep a hostile
 * document from exhausting the service: alias expansion ("billion laughs"), nesting depth, and
 * size are all bounded before any validation runs.
 */
@ApplicationScoped
public class SpecParser {

    /** Upper bound of a spec document; the HTTP layer enforces the same limit on the body. */
    public static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
    private static final int MAX_NESTING_DEPTH = 32;
    private static final int MAX_ALIASES = 20;

    private final LoaderOptions loaderOptions;
    private final ObjectMapper yaml;
    private final ObjectMapper json;

    public SpecParser() {
        loaderOptions = new LoaderOptions();
        loaderOptions.setMaxAliasesForCollections(MAX_ALIASES);
        loaderOptions.setNestingDepthLimit(MAX_NESTING_DEPTH);
        loaderOptions.setCodePointLimit(MAX_DOCUMENT_BYTES);
        loaderOptions.setAllowDuplicateKeys(false);
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(MAX_DOCUMENT_BYTES)
                .build();
        YAMLFactory yamlFactory = YAMLFactory.builder()
                .loaderOptions(loaderOptions)
                .streamReadConstraints(constraints)
                .build();
        this.yaml = new YAMLMapper(yamlFactory).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.json = JsonMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.json.getFactory().setStreamReadConstraints(constraints);
    }

    public enum Format {
        JSON, YAML
    }

    /**
     * @throws SpecRejectedException with a {@link Violation#MALFORMED_DOCUMENT} violation when the
     *                               document cannot be parsed or breaks a limit
     */
    public JsonNode parse(byte[] document, Format format) {
        if (document == null || document.length == 0) {
            throw malformed("the request body is empty; send an ImageSpec as YAML or JSON");
        }
        if (document.length > MAX_DOCUMENT_BYTES) {
            throw new SpecRejectedException(List.of(new Violation("", Violation.TOO_LARGE,
                    "the document is " + document.length + " bytes; at most " + MAX_DOCUMENT_BYTES + " are accepted")));
        }
        if (format == Format.YAML) {
            rejectAnchorsAndAliases(document);
        }
        try {
            JsonNode tree = (format == Format.JSON ? json : yaml).readTree(document);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                throw malformed("the document is empty");
            }
            return tree;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SpecRejectedException rejected) {
                throw rejected;
            }
            if (e instanceof JsonProcessingException located && located.getLocation() != null
                    && located.getLocation() != JsonLocation.NA) {
                // The original message, without Jackson's second line that repeats the location.
                throw malformed("not a valid " + format + " document: line " + located.getLocation().getLineNr()
                        + ", column " + located.getLocation().getColumnNr() + ": " + firstLine(located.getOriginalMessage()));
            }
            throw malformed("not a valid " + format + " document: " + firstLine(e.getMessage()));
        }
    }

    /**
     * Jackson reads a YAML alias as the alias's name, not as the anchored value: a spec using them
     * would be silently mis-read. Reject them up front (this also rules out alias-expansion bombs).
     */
    private void rejectAnchorsAndAliases(byte[] document) {
        try (Reader reader = new InputStreamReader(new ByteArrayInputStream(document), StandardCharsets.UTF_8)) {
            for (Event event : new Yaml(loaderOptions).parse(reader)) {
                if (event instanceof AliasEvent || event instanceof NodeEvent node && node.getAnchor() != null) {
                    String line = event.getStartMark() == null ? "" : " (line " + (event.getStartMark().getLine() + 1) + ")";
                    throw malformed("YAML anchors and aliases are not supported" + line + "; write the values out");
                }
            }
        } catch (MarkedYAMLException e) {
            // SnakeYAML's first line is only the context ("while parsing a flow node"); the author
            // needs where and what: the problem's line and column (1-based, as editors count).
            Mark where = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
            throw malformed("not a valid YAML document: " + (where == null ? ""
                    : "line " + (where.getLine() + 1) + ", column " + (where.getColumn() + 1) + ": ")
                    + firstLine(problem));
        } catch (IOException | YAMLException e) {
            throw malformed("not a valid YAML document: " + firstLine(e.getMessage()));
        }
    }

    private static SpecRejectedException malformed(String message) {
        return new SpecRejectedException(List.of(new Violation("", Violation.MALFORMED_DOCUMENT, message)));
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable input";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
