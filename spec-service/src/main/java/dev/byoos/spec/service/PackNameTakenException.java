package dev.byoos.spec.service;

import java.util.List;

import dev.byoos.spec.validation.SpecRejectedException;
import dev.byoos.spec.validation.Violation;

/** A spec names a pack another team owns (HTTP 409; on Kafka a spec.rejected like any violation). */
public class PackNameTakenException extends SpecRejectedException {

    public PackNameTakenException(List<Violation> violations) {
        super(violations);
    }
}
