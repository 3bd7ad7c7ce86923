"""Conan 2 recipe for gpusched, a header-only C++20 library (see README.md, "Conan 2")."""
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rmdir

required_conan_version = ">=2.0"


class GpuschedConan(ConanFile):
    name = "gpusched"
    description = ("Scheduling and cache-placement algorithms for GPU inference clusters: "
                   "MoE expert placement, KV-cache tiering, request routing, and their costs")
    license = "Apache-2.0"
    topics = ("gpu", "scheduling", "inference", "moe", "kv-cache", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    default_options = {"boost/*:header_only": True}
    no_copy_source = True
    # The CMake project configures with tests, examples and benchmarks OFF, so their folders are
    # not needed; cmake/ holds the version.hpp and package-config templates.
    exports_sources = "include/*", "cmake/*", "CMakeLists.txt", "LICENSE"

    def set_version(self):
        # The version lives once, in CMakeLists.txt: project(gpusched VERSION x.y.z ...).
        text = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        match = re.search(r"project\(\s*gpusched\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", text)
        if not match:
            raise ValueError("no 'project(gpusched VERSION x.y.z' in CMakeLists.txt")
        self.version = match.group(1)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("eigen/3.4.0")
        self.requires("boost/1.83.0")
        self.requires("nlohmann_json/3.11.3")

    def validate(self):
        check_min_cppstd(self, 20)

    def generate(self):
        CMakeToolchain(self).generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure(variables={
            "GPUSCHED_BUILD_TESTS": "OFF",
            "GPUSCHED_BUILD_EXAMPLES": "OFF",
            "GPUSCHED_BUILD_BENCHMARKS": "OFF",
            "GPUSCHED_INSTALL": "ON",
        })

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        CMake(self).install()
        # Conan's CMakeDeps writes the consumer's config files from package_info(); drop ours.
        rmdir(self, os.path.join(self.package_folder, "share"))

    def package_id(self):
        self.info.clear()

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "gpusched")
        self.cpp_info.set_property("cmake_target_name", "gpusched::gpusched")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
