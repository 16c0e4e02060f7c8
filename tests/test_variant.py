import pytest

from bench.variant import Variant, VariantError, parse_variant, split_list


def test_plain_name_has_no_options():
    assert parse_variant("random") == Variant("random", {})


def test_options_are_typed_and_canonical():
    variant = parse_variant("coarse-to-fine[zoom=0.25, stages=3,keep=true,mode=fast]")
    assert variant.options == {"zoom": 0.25, "stages": 3, "keep": True, "mode": "fast"}
    assert str(variant) == "coarse-to-fine[keep=true,mode=fast,stages=3,zoom=0.25]"
    assert parse_variant(str(variant)) == variant


def test_quoted_strings_keep_commas():
    variant = parse_variant('x[label="a,b", n=1]')
    assert variant.options == {"label": "a,b", "n": 1}
    assert parse_variant(str(variant)) == variant


@pytest.mark.parametrize("bad", ["random[scale]", "random[=1]", "random[a=1,a=2]", "a b"])
def test_malformed_variants_are_refused(bad):
    with pytest.raises(VariantError):
        parse_variant(bad)


def test_split_list_keeps_commas_inside_brackets():
    assert split_list("random, c2f[zoom=0.5,stages=2],grid") == [
        "random",
        "c2f[zoom=0.5,stages=2]",
        "grid",
    ]
