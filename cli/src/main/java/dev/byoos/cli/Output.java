package dev.byoos.cli;

import java.io.PrintWriter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What a command prints: aligned lines for a person, or the JSON the API answered ({@code --output
 * json}) for a script. Results go to standard output, errors to standard error.
 */
public class Output {

    public enum Format {
        text, json
    }

    private final Format format;
    private final PrintWriter out;
    private final PrintWriter err;

    public Output(Format format, PrintWriter out, PrintWriter err) {
        this.format = format;
        this.out = out;
        this.err = err;
    }

    public boolean json() {
        return format == Format.json;
    }

    /** A JSON document, pretty-printed. */
    public void print(JsonNode document) {
        out.println(write(document, true));
        out.flush();
    }

    /** A JSON document on one line (a stream of changes: one per line). */
    public void printLine(JsonNode document) {
        out.println(write(document, false));
        out.flush();
    }

    /** A labelled value, aligned: {@code label     value}. */
    public void field(String label, String value) {
        out.printf("%-10s%s%n", label, value);
        out.flush();
    }

    public void line(String text) {
        out.println(text);
        out.flush();
    }

    /** Progress and notes that are not the result (standard error, so that stdout stays parseable). */
    public void note(String text) {
        err.println(text);
        err.flush();
    }

    /**
     * One clear line, then the problem details: each violation on its own line (text), or the whole
     * problem document on standard output (json).
     */
    public void error(CliException failure) {
        err.println("byoos: " + failure.getMessage());
        JsonNode problem = failure.problem();
        if (problem != null) {
            if (json()) {
                print(problem);
            } else {
                for (JsonNode violation : problem.path("violations")) {
                    err.printf("  %s  %s  %s%n", violation.path("pointer").asText(), violation.path("code").asText(),
                            violation.path("message").asText());
                }
            }
        }
        err.flush();
    }

    static String write(JsonNode document, boolean pretty) {
        try {
            return pretty ? Api.JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document)
                    : Api.JSON.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }
}
