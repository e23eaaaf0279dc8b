package dev.byoos.system;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/** The metric names a Grafana dashboard's PromQL queries (panel targets and template variables) read. */
final class DashboardQueries {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    /** PromQL words that are not metric names when no parenthesis follows them. */
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset");

    private DashboardQueries() {
    }

    static Set<String> metricNames(JsonNode dashboard) {
        Set<String> names = new TreeSet<>();
        dashboard.findValues("expr").forEach(expr -> names.addAll(inExpression(expr.asText())));
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher labelValues = LABEL_VALUES.matcher(variable.path("definition").asText());
            if (labelValues.find()) {
                names.add(labelValues.group(1));
            }
        }
        return names;
    }

    static Set<String> inExpression(String promql) {
        String bare = promql
                .replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // string literals (label values, regexes)
                .replaceAll("\\{[^}]*}", "")                   // label matchers
                .replaceAll("\\[[^]]*]", "")                   // range selectors
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", ""); // label lists
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(bare);
        while (identifier.find()) {
            String name = identifier.group();
            boolean isFunction = bare.substring(identifier.end()).stripLeading().startsWith("(");
            boolean isNumber = identifier.start() > 0 && Character.isDigit(bare.charAt(identifier.start() - 1));
            if (!isFunction && !isNumber && !KEYWORDS.contains(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
