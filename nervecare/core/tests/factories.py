"""factory_boy factories for core's models: clinics, users, therapists (each app keeps its own)."""

import factory

from nervecare.core.models import Clinic, Therapist, User


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    clinic = factory.SubFactory(ClinicFactory)
    role = "therapist"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory)
    clinic = factory.SelfAttribute("user.clinic")
    display_name = factory.Sequence(lambda n: f"Therapist {n}")
    years_experience = 5
    certifications = factory.LazyFunction(list)
