package dev.byoos.spec.validation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * The published JSON Schema ({@value #RESOURCE}, served at {@code /api/v1/schema}) applied at run
 * time: the one statement of a spec's structure. Its findings become {@link Violation}s with the
 * codes clients know: an undeclared field is {@code UNKNOWN_FIELD}, a missing or blank value
 * {@code REQUIRED}, a value of the wrong JSON type {@code WRONG_TYPE}, a value outside an enum
 * {@code NOT_ALLOWED}, a string off its pattern {@code INVALID_FORMAT}, a size limit
 * {@code TOO_LARGE}, a repeated list item {@code DUPLICATE}.
 */
public final class SpecSchema {

    public static final String RESOURCE = "/byoos/imagespec.schema.json";

    /**
     * Optional fields whose explicit null the walk-by-hand validator refused as "must be an object";
     * every other null-valued field reads as absent, as it always has.
     */
    private static final Set<String> NULL_IS_WRONG_TYPE = Set.of("labels", "customizations", "sysctl", "aws",
            "azure", "vsphere", "debootstrap", "tarball", "image");
    /** Maps whose values are data: a null value there is a wrong type, not an absent field. */
    private static final Set<String> MAPS = Set.of("labels", "sysctl");
    /** A relative file path breaks the schema's pattern, and is unsafe to write like any other unsafe path. */
    private static final String FILE_PATH_PATTERN =
            "/properties/spec/properties/customizations/properties/files/items/properties/path/pattern";

    private final JsonNode schemaDocument;
    private final JsonSchema schema;

    SpecSchema() {
        try (InputStream in = SpecSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            schemaDocument = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaDocument);
    }

    /** @return every structural violation of {@code document}, at most one per pointer */
    List<Violation> check(JsonNode document) {
        JsonNode instance = withoutAbsentNulls(document);
        Map<String, Violation> byPointer = new LinkedHashMap<>();
        for (ValidationMessage message : schema.validate(instance)) {
            for (Violation violation : violations(message)) {
                Violation earlier = byPointer.get(violation.pointer());
                // The JSON type says most: an enum or pattern of a value of the wrong type adds nothing.
                if (earlier == null || (!earlier.code().equals(Violation.WRONG_TYPE)
                        && violation.code().equals(Violation.WRONG_TYPE))) {
                    byPointer.put(violation.pointer(), violation);
                }
            }
        }
        return List.copyOf(byPointer.values());
    }

    private List<Violation> violations(ValidationMessage message) {
        String at = pointer(message.getInstanceLocation());
        JsonNode value = message.getInstanceNode();
        JsonNode keyword = message.getSchemaNode();
        if (blank(value) && !isMapValue(message) && !message.getType().equals("type")) {
            // A blank string where a string belongs is a missing value, whatever else its field would say.
            return List.of(new Violation(at, Violation.REQUIRED, "must not be blank"));
        }
        return switch (message.getType()) {
            case "additionalProperties" -> List.of(new Violation(at + "/" + escape(message.getProperty()),
                    Violation.UNKNOWN_FIELD, "unknown field '" + abbreviate(message.getProperty()) + "'; allowed here: "
                            + new TreeSet<>(declaredFields(subschema(message)))));
            case "required" -> List.of(new Violation(at + "/" + escape(message.getProperty()), Violation.REQUIRED,
                    message.getProperty() + " is required"));
            case "propertyNames" -> List.of(new Violation(at + "/" + escape(message.getProperty()),
                    Violation.INVALID_FORMAT, "'" + abbreviate(message.getProperty()) + "' is not a valid name here: "
                            + expected(keyword.path("pattern").asText(), keyword)));
            case "type" -> List.of(new Violation(at, Violation.WRONG_TYPE, "must be " + typeName(keyword)
                    + (value != null && value.isNumber() && keyword.asText().equals("string") ? " (quote it in YAML)" : "")));
            case "const" -> List.of(new Violation(at, Violation.NOT_ALLOWED, "must be " + keyword.asText()));
            case "enum" -> List.of(new Violation(at, Violation.NOT_ALLOWED, "must be one of " + keyword));
            case "pattern", "minLength" -> List.of(FILE_PATH_PATTERN.equals(pointer(message.getSchemaLocation().getFragment()))
                    ? new Violation(at, Violation.UNSAFE_PATH, CustomizationRules.unsafePathReason(value.asText()))
                    : new Violation(at, Violation.INVALID_FORMAT, "'" + abbreviate(value.asText()) + "' is not "
                            + expected(keyword.asText(), subschema(message))));
            case "minItems" -> List.of(new Violation(at, Violation.REQUIRED, "at least " + keyword + " entry is required"));
            case "minProperties" -> List.of(new Violation(at, Violation.REQUIRED, "one of "
                    + declaredFields(subschema(message)) + " is required"));
            // maxProperties 1 says "exactly one of": a choice, not a size.
            case "maxProperties" -> List.of(keyword.asInt() == 1
                    ? new Violation(at, Violation.NOT_ALLOWED, "exactly one of " + declaredFields(subschema(message))
                            + "; got " + fieldNames(value))
                    : new Violation(at, Violation.TOO_LARGE, "at most " + keyword + " entries"));
            case "maxItems" -> List.of(new Violation(at, Violation.TOO_LARGE, "at most " + keyword + " entries"));
            case "maxLength" -> List.of(new Violation(at, Violation.TOO_LARGE, "at most " + keyword + " characters"));
            case "uniqueItems" -> repeated(at, value);
            default -> List.of(new Violation(at, Violation.NOT_ALLOWED, message.getMessage()));
        };
    }

    /** Each item that repeats an earlier one, at its own index. */
    private static List<Violation> repeated(String at, JsonNode list) {
        List<Violation> violations = new ArrayList<>();
        for (int i = 1; list != null && i < list.size(); i++) {
            for (int earlier = 0; earlier < i; earlier++) {
                if (list.get(earlier).equals(list.get(i))) {
                    violations.add(new Violation(at + "/" + i, Violation.DUPLICATE,
                            "'" + abbreviate(list.get(i).asText()) + "' is listed twice"));
                    break;
                }
            }
        }
        return violations;
    }

    /** The schema object a keyword belongs to, for its declared properties and its description. */
    private JsonNode subschema(ValidationMessage message) {
        JsonNodePath keyword = message.getSchemaLocation().getFragment();
        return keyword == null || keyword.getParent() == null ? schemaDocument
                : schemaDocument.at(pointer(keyword.getParent()));
    }

    private static List<String> declaredFields(JsonNode subschema) {
        List<String> names = new ArrayList<>();
        subschema.path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        if (node != null) {
            node.fieldNames().forEachRemaining(names::add);
        }
        return names;
    }

    /** What a pattern means, as the schema describes the field; the pattern itself when it does not. */
    private static String expected(String pattern, JsonNode subschema) {
        String description = subschema.path("description").asText("");
        return description.isEmpty() ? "of the form " + pattern : "valid: " + description + " (" + pattern + ")";
    }

    private static String typeName(JsonNode type) {
        List<String> names = new ArrayList<>();
        (type.isArray() ? type : List.of(type)).forEach(name -> names.add(switch (name.asText()) {
            case "array" -> "a list";
            case "object" -> "an object";
            case "integer" -> "an integer";
            default -> "a " + name.asText();
        }));
        return String.join(" or ", names);
    }

    /** Values of a map (labels, sysctl) are data, not fields: blank is just a value there. */
    private static boolean isMapValue(ValidationMessage message) {
        JsonNodePath keyword = message.getSchemaLocation().getFragment();
        return keyword != null && keyword.contains("additionalProperties");
    }

    private static boolean blank(JsonNode value) {
        return value != null && value.isTextual() && value.asText().isBlank();
    }

    /**
     * A copy of the document without null-valued fields, which read as absent ("required" when the
     * field is), except where a null always was a wrong type.
     */
    private static JsonNode withoutAbsentNulls(JsonNode node) {
        if (node.isArray()) {
            var copy = node.deepCopy();
            for (int i = 0; i < copy.size(); i++) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) copy).set(i, withoutAbsentNulls(copy.get(i)));
            }
            return copy;
        }
        if (!node.isObject()) {
            return node;
        }
        ObjectNode copy = ((ObjectNode) node).objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isNull() && !NULL_IS_WRONG_TYPE.contains(field.getKey())) {
                continue;
            }
            copy.set(field.getKey(), MAPS.contains(field.getKey()) ? value : withoutAbsentNulls(value));
        }
        return copy;
    }

    /** An RFC 6901 pointer from the validator's path. */
    static String pointer(JsonNodePath path) {
        StringBuilder pointer = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            pointer.append('/').append(escape(String.valueOf(path.getElement(i))));
        }
        return pointer.toString();
    }

    /** RFC 6901 escaping of one pointer segment. */
    static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }
}
