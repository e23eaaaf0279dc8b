package dev.byoos.cli;

import java.io.PrintWriter;
import java.util.List;

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

    /**
     * Rows under a header, each column as wide as its widest cell: a team's spec names have no
     * fixed length, and a fixed width shifted every later column of a long one.
     */
    public void table(List<List<String>> rows) {
        int columns = rows.get(0).size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int column = 0; column < columns; column++) {
                widths[column] = Math.max(widths[column], row.get(column).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder text = new StringBuilder();
            for (int column = 0; column < columns - 1; column++) {
                text.append(String.format("%-" + widths[column] + "s  ", row.get(column)));
            }
            out.println(text.append(row.get(columns - 1)));
        }
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
                    // A whole-document violation (one that does not parse) has the empty pointer.
                    String pointer = violation.path("pointer").asText();
                    err.printf("  %s%s  %s%n", pointer.isEmpty() ? "" : pointer + "  ", violation.path("code").asText(),
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
