package dev.byoos.spec.validation;

import java.io.IOException;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

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

    private final ObjectMapper yaml;
    private final ObjectMapper json;

    public SpecParser() {
        LoaderOptions loaderOptions = new LoaderOptions();
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
        try {
            JsonNode tree = format == Format.JSON ? json.readTree(document) : readYaml(document);
            if (tree == null || tree.isMissingNode() || tree.isNull()) {
                throw malformed("the document is empty");
            }
            return tree;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SpecRejectedException rejected) {
                throw rejected;
            }
            MarkedYAMLException yamlSyntax = markedYamlCause(e);
            if (yamlSyntax != null) {
                // SnakeYAML's first line is only the context ("while parsing a flow node"); the author
                // needs where and what: the problem's line and column (1-based, as editors count).
                Mark where = yamlSyntax.getProblemMark() != null ? yamlSyntax.getProblemMark() : yamlSyntax.getContextMark();
                String problem = yamlSyntax.getProblem() != null ? yamlSyntax.getProblem() : yamlSyntax.getContext();
                throw malformed("not a valid YAML document: " + (where == null ? ""
                        : "line " + (where.getLine() + 1) + ", column " + (where.getColumn() + 1) + ": ")
                        + firstLine(problem));
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
     * Reads a YAML document in one pass. Jackson reads a YAML alias as the alias's name, not as the
     * anchored value: a spec using them would be silently mis-read, so any anchor or alias is refused
     * as the parser meets it (this also rules out alias-expansion bombs). A second document in the
     * stream is refused too: it would otherwise be dropped without a word.
     */
    private JsonNode readYaml(byte[] document) throws IOException {
        try (YAMLParser parser = (YAMLParser) yaml.getFactory().createParser(document)) {
            JsonNode tree = yaml.readTree(new JsonParserDelegate(parser) {
                @Override
                public JsonToken nextToken() throws IOException {
                    JsonToken token = super.nextToken();
                    if (parser.isCurrentAlias() || parser.getCurrentAnchor() != null) {
                        throw malformed("YAML anchors and aliases are not supported (line "
                                + parser.currentLocation().getLineNr() + "); write the values out");
                    }
                    return token;
                }

                @Override
                public JsonToken nextValue() throws IOException {
                    // The delegate's own nextValue would read past the check above.
                    JsonToken token = nextToken();
                    return token == JsonToken.FIELD_NAME ? nextToken() : token;
                }
            });
            if (tree != null && parser.nextToken() != null) {
                throw malformed("the request holds more than one YAML document (line "
                        + parser.currentLocation().getLineNr() + "); send one spec per request");
            }
            return tree;
        }
    }

    /** The SnakeYAML syntax error behind Jackson's wrapper, or null. */
    private static MarkedYAMLException markedYamlCause(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof MarkedYAMLException marked) {
                return marked;
            }
        }
        return null;
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
