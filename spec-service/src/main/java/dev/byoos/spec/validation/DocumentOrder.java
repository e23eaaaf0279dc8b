package dev.byoos.spec.validation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Orders JSON pointers as their fields appear in a document, so a person reads the violations of a
 * spec top to bottom. A pointer to a field the document lacks (a missing required field) comes after
 * its present siblings; what is wrong inside a field comes before what is wrong with the field as a
 * whole (a target's missing parameters, then that the target cannot be built).
 */
final class DocumentOrder implements Comparator<String> {

    private final JsonNode document;

    DocumentOrder(JsonNode document) {
        this.document = document;
    }

    @Override
    public int compare(String left, String right) {
        List<Integer> a = positions(left);
        List<Integer> b = positions(right);
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int order = Integer.compare(a.get(i), b.get(i));
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(b.size(), a.size());
    }

    private List<Integer> positions(String pointer) {
        List<Integer> positions = new ArrayList<>();
        JsonNode node = document;
        for (String escaped : pointer.isEmpty() ? new String[0] : pointer.substring(1).split("/", -1)) {
            String segment = escaped.replace("~1", "/").replace("~0", "~");
            int position = Integer.MAX_VALUE;
            if (node != null && node.isObject()) {
                int index = 0;
                for (Iterator<String> names = node.fieldNames(); names.hasNext(); index++) {
                    if (names.next().equals(segment)) {
                        position = index;
                        break;
                    }
                }
                node = node.get(segment);
            } else if (node != null && node.isArray() && segment.matches("\\d{1,9}")) {
                position = Integer.parseInt(segment);
                node = node.get(position);
            } else {
                node = null;
            }
            positions.add(position);
        }
        return positions;
    }
}
