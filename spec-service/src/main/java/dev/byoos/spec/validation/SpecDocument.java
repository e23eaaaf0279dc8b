package dev.byoos.spec.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A submitted document as the semantic rules see it once the schema has checked its structure:
 * a value can be read only where the schema found nothing wrong with it, so a rule never reasons
 * from a value that is already refused (an unknown cloud has no formats to check, a malformed
 * Kubernetes version no support-matrix row).
 */
final class SpecDocument {

    private final JsonNode root;
    private final Set<String> refused;

    /** @param refused pointers whose values the schema refused */
    SpecDocument(JsonNode root, Set<String> refused) {
        this.root = root;
        this.refused = refused;
    }

    /** @return the value at {@code pointer}, or null when it is absent, null or refused */
    JsonNode node(String pointer) {
        if (refused.contains(pointer)) {
            return null;
        }
        JsonNode node = root.at(pointer);
        return node.isMissingNode() || node.isNull() ? null : node;
    }

    /** @return whether the document has a field at {@code pointer}, whatever its value */
    boolean has(String pointer) {
        return !root.at(pointer).isMissingNode();
    }

    /** @return the non-blank string at {@code pointer}, or null */
    String text(String pointer) {
        JsonNode node = node(pointer);
        return node != null && node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }

    /** @return the object at {@code pointer}, or null */
    JsonNode object(String pointer) {
        JsonNode node = node(pointer);
        return node != null && node.isObject() ? node : null;
    }

    /** @return how many items the list at {@code pointer} has (0 when it is not a list) */
    int size(String pointer) {
        JsonNode node = node(pointer);
        return node != null && node.isArray() ? node.size() : 0;
    }

    /** @return the field names of the object at {@code pointer}, in document order */
    List<String> fieldNames(String pointer) {
        List<String> names = new ArrayList<>();
        JsonNode node = object(pointer);
        if (node != null) {
            node.fieldNames().forEachRemaining(names::add);
        }
        return names;
    }
}
