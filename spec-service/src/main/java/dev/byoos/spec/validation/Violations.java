package dev.byoos.spec.validation;

import java.util.ArrayList;
import java.util.List;

/** The violations one validation run finds, in the order the rules find them. */
final class Violations {

    private final List<Violation> found = new ArrayList<>();

    void add(String pointer, String code, String message) {
        found.add(new Violation(pointer, code, message));
    }

    List<Violation> list() {
        return List.copyOf(found);
    }
}
