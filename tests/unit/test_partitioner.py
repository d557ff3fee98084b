"""onestep's partitioner puts a keyed record where any Kafka client would."""

import random
import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from onestep_runtime.partitioner import key_partitioner, murmur2

# org.apache.kafka.common.utils.UtilsTest.testMurmur2: what the Java client computes.
JAVA = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("key", "signed"), JAVA.items())
def test_hash_is_the_java_clients(key, signed):
    assert murmur2(key) == signed & 0xFFFFFFFF


def test_hash_is_aiokafkas_for_every_length():
    rng = random.Random(6)
    for length in range(0, 70):
        for _ in range(50):
            key = rng.randbytes(length)
            assert murmur2(key) == aiokafka_murmur2(key), key


def test_case_ids_go_to_the_partition_aiokafka_would_choose():
    partitions = list(range(12))
    for _ in range(2000):
        key = str(uuid.uuid4()).encode()
        for count in (1, 6, 12):
            chosen = key_partitioner(key, partitions[:count], partitions[:count])
            assert chosen == DefaultPartitioner()(key, partitions[:count], partitions[:count])


def test_a_record_without_a_key_goes_to_an_available_partition():
    assert key_partitioner(None, [0, 1, 2], [2]) == 2
    assert key_partitioner(None, [0, 1, 2], []) in (0, 1, 2)
