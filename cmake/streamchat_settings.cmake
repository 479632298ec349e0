# Build settings shared by the project's own targets (never forced on consumers).

function(streamchat_use_ccache)
  find_program(STREAMCHAT_CCACHE ccache)
  if(STREAMCHAT_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${STREAMCHAT_CCACHE} PARENT_SCOPE)
    message(STATUS "streamchat: using ccache ${STREAMCHAT_CCACHE}")
  endif()
endfunction()

function(streamchat_target_settings target)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wold-style-cast -Wcast-align
                                           -Wunused -Woverloaded-virtual
                                           -Wimplicit-fallthrough)
  # GCC 12's flow-sensitive warnings misfire at -O2/-O3 inside libstdc++'s std::string and Asio's
  # allocator (GCC PRs 105329, 105651, 106199): optimised builds only, and only that compiler.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE
      $<$<NOT:$<CONFIG:Debug>>:-Wno-restrict -Wno-stringop-overflow -Wno-array-bounds -Wno-mismatched-new-delete>)
  endif()
  if(STREAMCHAT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Sanitizers apply to the whole build tree (library, tests, examples) so that
# instrumented and uninstrumented code never mix.
if(STREAMCHAT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
