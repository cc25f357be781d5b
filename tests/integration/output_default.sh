#!/bin/bash
# The contract lists /output among the writable places inside, with or
# without --output-dir; without it, what is written there is simply dropped.
source "$(dirname "$0")/../helpers/lib.sh"

run_json -- sh -c 'echo x > /output/f && cat /output/f'
expect_status ok
expect_eq "/output writable without --output-dir" "$(j .stdout)" x
# It shares the disk cap like the others.
run_json --disk 8M -- sh -c 'head -c 5M /dev/zero > /tmp/a && head -c 5M /dev/zero > /output/b'
expect_status disk_limit
# Nothing of it reaches the host.
run_ward run -- sh -c 'echo leak > /output/ward-output-default-$$'
expect_eq "nothing on the host" "$(ls /output/ward-output-default-* 2>/dev/null)" ""

expect_no_cgroups
done_testing
