# cmake -DREADME=<README.md> -DOUTPUT=<file.cpp> -P extract_quickstart.cmake
# Writes the ```cpp block found between <!-- quickstart begin --> and <!-- quickstart end --> in
# README to OUTPUT (rewriting OUTPUT only when the code changed).
foreach(_var README OUTPUT)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "extract_quickstart.cmake: -D${_var}=... is required")
  endif()
endforeach()

file(READ "${README}" _text)
string(FIND "${_text}" "<!-- quickstart begin -->" _begin)
string(FIND "${_text}" "<!-- quickstart end -->" _end)
if(_begin EQUAL -1 OR _end EQUAL -1 OR _end LESS _begin)
  message(FATAL_ERROR "${README}: no '<!-- quickstart begin -->' ... '<!-- quickstart end -->' markers")
endif()
math(EXPR _length "${_end} - ${_begin}")
string(SUBSTRING "${_text}" ${_begin} ${_length} _block)

string(FIND "${_block}" "```cpp\n" _fence)
if(_fence EQUAL -1)
  message(FATAL_ERROR "${README}: the quickstart markers must enclose a ```cpp code block")
endif()
math(EXPR _code_begin "${_fence} + 7")
string(SUBSTRING "${_block}" ${_code_begin} -1 _code)
string(FIND "${_code}" "```" _close)
if(_close EQUAL -1)
  message(FATAL_ERROR "${README}: the quickstart ```cpp block is not closed before the end marker")
endif()
string(SUBSTRING "${_code}" 0 ${_close} _code)

file(WRITE "${OUTPUT}.tmp"
     "// Extracted from README.md by tests/quickstart/extract_quickstart.cmake; edit README.md.\n${_code}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
