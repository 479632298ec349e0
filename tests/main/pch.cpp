// Compiled with the tests' precompiled header so that CMake has a rule to build it; every test
// reuses that PCH (catch_main.cpp cannot: it must see CATCH_CONFIG_MAIN before catch.hpp).
namespace streamchat::test {
void pch_anchor() {}
} // namespace streamchat::test
