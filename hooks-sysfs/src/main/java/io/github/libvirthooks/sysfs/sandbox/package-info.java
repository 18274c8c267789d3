/**
 * Sandboxed hosts: directory trees laid out like {@code /sys} and {@code /proc}, with small
 * stand-ins for the kernel's behaviour, so that tools built on {@code hooks-sysfs} can be
 * tested and demonstrated without touching the machine they run on.
 */
package io.github.libvirthooks.sysfs.sandbox;
