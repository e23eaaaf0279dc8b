package dev.byoos.pack.render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The rules Spectro Cloud's pack repository (spectrocloud/pack-central) checks every pack against
 * (validator/pack-schema.json and validator/validate-packs.sh), plus Palette's pack constraints
 * (librarium, registries-and-packs "Pack Constraints") for schema.yaml, written as a checker over a
 * pack's files. {@link #violations} returns what a rule refuses, empty for a pack that passes.
 */
public final class PackCentralRules {

    /** pack-schema.json: required, non-empty strings. */
    static final List<String> REQUIRED = List.of("name", "displayName", "version", "layer");
    static final Set<String> LAYERS = Set.of("kernel", "os", "k8s", "cni", "csi", "addon");
    /** pack-schema.json's {@code cloudTypes} item enum. */
    static final Set<String> CLOUD_TYPES = Set.of("all", "aws", "azure", "gcp", "vsphere", "openstack", "baremetal",
            "maas", "aks", "eks", "tencent", "tke", "edge", "libvirt", "edge-native", "coxedge", "custom");
    static final Set<String> DEPENDENCY_TYPES = Set.of("required", "optional", "notSupported", "upgrade");
    /** A schema.yaml template: {@code {{ required | format "..." | hints "..." }}} and the like. */
    static final Pattern TEMPLATE = Pattern.compile("\\{\\{ ?(.*?) ?\\}\\}");
    static final Pattern STRING_REGEX = Pattern.compile("\\$\\{string:/(.*)/\\}");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    private PackCentralRules() {
    }

    public static List<String> violations(Map<String, byte[]> files) {
        List<String> violations = new ArrayList<>();
        for (String file : List.of("pack.json", "values.yaml", "logo.png", "README.md")) {
            if (!files.containsKey(file)) {
                violations.add(file + " is missing");
            }
        }
        if (files.containsKey("logo.png") && !startsWith(files.get("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'})) {
            violations.add("logo.png is not a PNG");
        }
        JsonNode pack = read(JSON, files.get("pack.json"), "pack.json", violations);
        if (pack != null) {
            packJson(pack, violations);
        }
        JsonNode values = read(YAML, files.get("values.yaml"), "values.yaml", violations);
        if (files.containsKey("schema.yaml")) {
            JsonNode schema = read(YAML, files.get("schema.yaml"), "schema.yaml", violations);
            if (schema != null && values != null) {
                schemaYaml(schema, values, violations);
            }
        }
        return violations;
    }

    private static void packJson(JsonNode pack, List<String> violations) {
        if (!pack.isObject()) {
            violations.add("pack.json is not an object");
            return;
        }
        for (String field : REQUIRED) {
            if (!pack.path(field).isTextual() || pack.path(field).asText().isEmpty()) {
                violations.add("pack.json: " + field + " must be a non-empty string");
            }
        }
        if (pack.path("layer").isTextual() && !LAYERS.contains(pack.path("layer").asText())) {
            violations.add("pack.json: layer " + pack.path("layer") + " is not one of " + LAYERS);
        }
        // validate-packs.sh: "pack.json version must not have a leading 'v'"
        if (pack.path("version").asText().startsWith("v")) {
            violations.add("pack.json: version has a leading v");
        }
        if (pack.has("cloudTypes")) {
            if (!pack.get("cloudTypes").isArray()) {
                violations.add("pack.json: cloudTypes must be an array");
            }
            pack.get("cloudTypes").forEach(type -> {
                if (!type.isTextual() || !CLOUD_TYPES.contains(type.asText())) {
                    violations.add("pack.json: cloud type " + type + " is not one of " + CLOUD_TYPES);
                }
            });
        }
        if (pack.has("annotations")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = pack.get("annotations").fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> annotation = it.next();
                if (!annotation.getValue().isTextual()) {
                    violations.add("pack.json: annotation " + annotation.getKey() + " is not a string");
                }
            }
        }
        for (JsonNode dependency : pack.path("constraints").path("dependencies")) {
            if (!dependency.path("packName").isTextual() || dependency.path("packName").asText().isEmpty()) {
                violations.add("pack.json: a dependency has no packName");
            }
            if (!LAYERS.contains(dependency.path("layer").asText())) {
                violations.add("pack.json: dependency layer " + dependency.path("layer") + " is not one of " + LAYERS);
            }
            if (!DEPENDENCY_TYPES.contains(dependency.path("type").asText())) {
                violations.add("pack.json: dependency type " + dependency.path("type") + " is not one of "
                        + DEPENDENCY_TYPES);
            }
            for (String bound : List.of("minVersion", "maxVersion")) {
                if (dependency.has(bound) && !dependency.get(bound).isTextual()) {
                    violations.add("pack.json: dependency " + bound + " is not a string");
                }
            }
        }
    }

    /**
     * Each key is a value's full path with a {@code schema} template; a {@code ${string:/re/}}
     * format must be an RE2 regex (checked here as: it compiles, and uses no backslash escapes or
     * look-around, the Java syntax RE2 lacks) that the pack's own value matches.
     */
    private static void schemaYaml(JsonNode schema, JsonNode values, List<String> violations) {
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            String template = entry.getValue().path("schema").asText("");
            Matcher matcher = TEMPLATE.matcher(template);
            if (!matcher.matches()) {
                violations.add("schema.yaml: " + key + " has no {{ }} schema template");
                continue;
            }
            JsonNode value = resolve(values, key);
            if (value == null) {
                violations.add("schema.yaml: " + key + " names no value in values.yaml");
                continue;
            }
            if (template.contains("required") && value.asText().isEmpty()) {
                violations.add("schema.yaml: " + key + " is required but empty in values.yaml");
            }
            Matcher regex = STRING_REGEX.matcher(matcher.group(1));
            if (regex.find()) {
                String expression = regex.group(1);
                if (expression.contains("\\") || expression.contains("(?=") || expression.contains("(?!")
                        || expression.contains("(?<")) {
                    violations.add("schema.yaml: " + key + " uses syntax RE2 does not share: " + expression);
                }
                try {
                    if (!Pattern.compile(expression).matcher(value.asText()).find()) {
                        violations.add("schema.yaml: " + key + " refuses the pack's own value " + value.asText());
                    }
                } catch (PatternSyntaxException e) {
                    violations.add("schema.yaml: " + key + " has an invalid regex: " + e.getMessage());
                }
            }
        }
    }

    /** A key path: dots separate levels, except inside a key that has dots of its own ({@code system.uri}). */
    static JsonNode resolve(JsonNode node, String path) {
        if (node.has(path)) {
            return node.get(path);
        }
        for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
            JsonNode child = node.get(path.substring(0, dot));
            if (child != null) {
                JsonNode found = resolve(child, path.substring(dot + 1));
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** The {@code ${string:/re/}} regex schema.yaml gives {@code key}, or null. */
    public static Pattern stringRegex(Map<String, byte[]> files, String key) throws IOException {
        JsonNode schema = YAML.readTree(files.get("schema.yaml"));
        Matcher regex = STRING_REGEX.matcher(schema.path(key).path("schema").asText(""));
        return regex.find() ? Pattern.compile(regex.group(1)) : null;
    }

    private static JsonNode read(ObjectMapper mapper, byte[] bytes, String file, List<String> violations) {
        if (bytes == null) {
            return null;
        }
        try {
            return mapper.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            violations.add(file + " does not parse: " + e.getMessage());
            return null;
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
